import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccountRootPrincipal, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/**
 * What the account's administrators may do with the key: the key administrator actions of KMS's
 * default key policy (KMS Developer Guide, "Default key policy: allows key administrators to
 * administer the KMS key") — manage it, never use it to sign. Keeping `kms:Put*` (PutKeyPolicy)
 * avoids a key nobody can manage; it also means an administrator could grant themselves Sign,
 * which CloudTrail records (docs/audit.md, "What a table writer can still do").
 */
const KEY_ADMINISTRATION = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

interface ChainSigningKeyProps {
  /**
   * The role names allowed to sign, as a pattern (`JitBroker-*`: the roles CloudFormation names
   * for the broker stack's functions). Each of them must also be given kms:Sign by its own policy,
   * which only the functions that append audit events are (infra/functionAccess.ts `signChain`).
   */
  readonly signerRoleNames: string;
}

/**
 * The audit chain's signing key (docs/audit.md): asymmetric, ECC_NIST_P256, SIGN_VERIFY. The private
 * half never leaves KMS, so whoever can write the table but not call `kms:Sign` on this key cannot
 * make a head the broker accepts. Its policy is the only one it has (CDK's default-key-policies flag:
 * the `policy` given replaces the default, which would let any IAM administrator sign):
 * - key administration for the account, without Sign;
 * - Sign for the broker's roles only (and only where their own policies allow it too);
 * - GetPublicKey, Verify and DescribeKey for the account's principals their policies allow.
 * Retained with the stack deleted, like the table: old chains need its public key to be verified.
 */
const chainSigningKey = (scope: Construct, id: string, props: ChainSigningKeyProps): Key => {
  const stack = Stack.of(scope);
  const account = new AccountRootPrincipal();
  const signers = stack.formatArn({
    service: 'iam',
    region: '',
    resource: 'role',
    resourceName: props.signerRoleNames,
  });
  return new Key(scope, id, {
    description: 'jit-broker: signs audit chain heads; only the broker functions that append events may sign',
    keySpec: KeySpec.ECC_NIST_P256,
    keyUsage: KeyUsage.SIGN_VERIFY,
    removalPolicy: RemovalPolicy.RETAIN,
    pendingWindow: Duration.days(30),
    policy: new PolicyDocument({
      statements: [
        new PolicyStatement({
          sid: 'KeyAdministrationWithoutSigning',
          principals: [account],
          actions: KEY_ADMINISTRATION,
          resources: ['*'],
        }),
        new PolicyStatement({
          sid: 'SignOnlyAsTheBrokerFunctions',
          principals: [account],
          actions: ['kms:Sign'],
          resources: ['*'],
          conditions: { ArnLike: { 'aws:PrincipalArn': signers } },
        }),
        new PolicyStatement({
          sid: 'VerifyWithThePublicKey',
          principals: [account],
          actions: ['kms:GetPublicKey', 'kms:Verify', 'kms:DescribeKey'],
          resources: ['*'],
        }),
      ],
    }),
  });
};

export type { ChainSigningKeyProps };
export { chainSigningKey };
