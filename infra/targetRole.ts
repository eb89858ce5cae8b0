import { Duration, Fn, Tags, Token } from 'aws-cdk-lib';
import {
  ArnPrincipal,
  type CfnRole,
  type IManagedPolicy,
  ManagedPolicy,
  type PolicyDocument,
  PolicyStatement,
  Role,
} from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** The tag the broker's own IAM policies require on every role it may assume or write a kill policy to. */
const MANAGED_TAG = { key: 'jit-broker:managed', value: 'true' } as const;

/** Every key the broker may tag a session with; CI sessions add their repository and run. */
const SESSION_TAG_KEYS = ['jit-grant-id', 'jit-requester', 'jit-role', 'jit-repository', 'jit-run'] as const;

/** Grant ids are `g-<ulid>`; the broker sets one as the source identity of every session. */
const SOURCE_IDENTITY_PATTERN = 'g-*';

/**
 * The `AWS` principal of a trust policy statement: literal role ARNs, or the value of a
 * CommaDelimitedList parameter (a list token, which resolves to its `Ref`). Trust policies are
 * written as plain JSON so that a parameter can stand for the whole list: a workload template
 * deployed by a StackSet names the broker's roles without carrying the broker's account id.
 */
const awsPrincipal = (arns: readonly string[]): { AWS: string | string[] } =>
  Token.isUnresolved(arns) || arns.length > 1 ? { AWS: [...arns] } : { AWS: arns[0] as string };

/** A role statement whose trust policy is written as JSON (see awsPrincipal); CDK needs some principal first. */
const placeholderPrincipal = (arns: readonly string[]) => new ArnPrincipal(Fn.select(0, [...arns]));

const assertBrokers = (construct: string, arns: readonly string[]): void => {
  if (!Token.isUnresolved(arns) && arns.length === 0) {
    throw new Error(`${construct} needs at least one broker role ARN`);
  }
  // An output such as VendRoleArn pasted whole is two ARNs in one string: IAM would refuse the trust policy at deploy.
  const joined = arns.find((arn) => !Token.isUnresolved(arn) && arn.includes(','));
  if (joined !== undefined) {
    throw new Error(`${construct}: '${joined}' is several ARNs in one string; split it on ',' (one ARN per entry)`);
  }
};

interface JitTargetRoleProps {
  /**
   * ARNs of the broker's role(s) that vend credentials (output `VendRoleArn` of the broker's stack —
   * the vend route's and the request route's, comma-separated — and `CiVendRoleArns` for roles CI
   * jobs deploy with), or a CommaDelimitedList parameter's
   * `valueAsList`. Only they may assume this role.
   */
  readonly brokerRoleArns: readonly string[];
  readonly roleName?: string;
  /** IAM path; default `/jit/`, the path the example catalog uses. */
  readonly path?: string;
  readonly description?: string;
  /**
   * The longest session STS may issue. The broker's sessions are role chaining, capped at one hour
   * whatever this says, so one hour (the default) is right unless another caller needs more.
   */
  readonly maxSessionDuration?: Duration;
  /** What a session may do at most (the broker narrows every session further with a session policy). */
  readonly managedPolicies?: readonly IManagedPolicy[];
  readonly inlinePolicies?: Readonly<Record<string, PolicyDocument>>;
  /**
   * Required. The ceiling of everything this role may ever do, whatever its identity policies say:
   * the broker writes the role's kill policy (an inline policy), so if the broker were ever made to
   * write an Allow, the boundary is what that Allow cannot exceed. It must allow what the role's
   * own policies grant and the catalog's `scopeCeiling` offers (`ceilingPolicy` builds one from a
   * ceiling); it needs nothing for the kill, which only denies, and denies are never bounded. The
   * session killer refuses to write to any role without a boundary.
   */
  readonly permissionsBoundary: IManagedPolicy;
}

/**
 * A target role in a workload account, for platform teams: the role the broker assumes to vend
 * task-scoped sessions. It trusts only the broker's role(s), only with a grant id as the source
 * identity (`g-*`), and only with the broker's session tags; it carries `jit-broker:managed=true`,
 * without which the broker's own policy does not let it touch the role, and a permissions
 * boundary, without which the session killer does not write to it. What the role may do is up to
 * the platform team (managedPolicies / inlinePolicies, within the boundary); the catalog's ceiling
 * and the session policy narrow it per grant.
 */
class JitTargetRole extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: JitTargetRoleProps) {
    super(scope, id);
    assertBrokers('JitTargetRole', props.brokerRoleArns);
    if (props.permissionsBoundary === undefined) {
      throw new Error(
        'JitTargetRole needs a permissionsBoundary: the ceiling no policy the broker writes can exceed (ceilingPolicy builds one)'
      );
    }
    this.role = new Role(this, 'Role', {
      roleName: props.roleName,
      path: props.path ?? '/jit/',
      description: props.description ?? 'Assumed by jit-broker to vend task-scoped, short-lived sessions',
      // The trust policy is written below: its statements need conditions per action.
      assumedBy: placeholderPrincipal(props.brokerRoleArns),
      maxSessionDuration: props.maxSessionDuration ?? Duration.hours(1),
      managedPolicies: props.managedPolicies ? [...props.managedPolicies] : undefined,
      inlinePolicies: props.inlinePolicies ? { ...props.inlinePolicies } : undefined,
      permissionsBoundary: props.permissionsBoundary,
    });
    const brokers = awsPrincipal(props.brokerRoleArns);
    (this.role.node.defaultChild as CfnRole).assumeRolePolicyDocument = {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'BrokerAssumesWithGrantIdentity',
          Effect: 'Allow',
          Principal: brokers,
          Action: ['sts:AssumeRole', 'sts:SetSourceIdentity'],
          Condition: { StringLike: { 'sts:SourceIdentity': SOURCE_IDENTITY_PATTERN } },
        },
        {
          Sid: 'BrokerTagsSessionsWithGrant',
          Effect: 'Allow',
          Principal: brokers,
          Action: 'sts:TagSession',
          Condition: { 'ForAllValues:StringEquals': { 'aws:TagKeys': [...SESSION_TAG_KEYS] } },
        },
      ],
    };
    Tags.of(this.role).add(MANAGED_TAG.key, MANAGED_TAG.value);
  }
}

/**
 * A managed policy allowing exactly a catalog role's `scopeCeiling` (actions × resources): attach
 * it and use it as the role's permissions boundary, and the role can never do more than the
 * catalog offers, whatever inline policy is written to it.
 */
const ceilingPolicy = (
  scope: Construct,
  id: string,
  ceiling: { readonly actions: readonly string[]; readonly resources: readonly string[]; readonly description?: string }
): ManagedPolicy =>
  new ManagedPolicy(scope, id, {
    description: ceiling.description ?? 'jit-broker: the ceiling of a target role (catalog scopeCeiling)',
    statements: [
      new PolicyStatement({ sid: 'CatalogCeiling', actions: [...ceiling.actions], resources: [...ceiling.resources] }),
    ],
  });

export type { JitTargetRoleProps };
export {
  assertBrokers,
  awsPrincipal,
  ceilingPolicy,
  JitTargetRole,
  MANAGED_TAG,
  placeholderPrincipal,
  SESSION_TAG_KEYS,
  SOURCE_IDENTITY_PATTERN,
};
