import { CfnOutput, CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import { CfnAssignment, CfnPermissionSet } from 'aws-cdk-lib/aws-sso';
import type { Construct } from 'constructs';
import { accountAgnostic } from './accountAgnostic.js';

/** The permission set's name; its role in the broker account is `AWSReservedSSO_JitBrokerCaller_<hex>`. */
const CALLER_PERMISSION_SET = 'JitBrokerCaller';

/**
 * The one permission callers need: `execute-api:Invoke` on the broker's API, and nothing else.
 * `apiInvokeArn` is `arn:<partition>:execute-api:<region>:<broker account>:<api id>/*` (output
 * ApiInvokeArn of the broker's stack). Everything a caller may do beyond reaching the API is
 * decided by the broker itself (identity sources, Cedar policies).
 */
const callerPolicy = (apiInvokeArn: string) => ({
  Version: '2012-10-17',
  Statement: [{ Sid: 'CallJitBroker', Effect: 'Allow', Action: 'execute-api:Invoke', Resource: apiInvokeArn }],
});

/**
 * For the account that administers IAM Identity Center (the management account, or its delegated
 * administrator): the permission set engineers sign in with to call the broker, assigned to one
 * group in the broker account.
 *
 * Why a permission set in the broker account (and not a resource policy): HTTP APIs have no
 * resource policies, so only principals of the API's own account can be allowed to invoke it;
 * Identity Center gives every engineer such a principal — a role session in the broker account
 * whose name AWS sets to their user name — without any IAM user or cross-account trust. The role
 * it creates lives under /aws-reserved/sso.amazonaws.com/ and is pinned by its id in
 * identity-sources.json (docs/identity.md).
 */
class JitCallerAccessStack extends Stack {
  constructor(scope: Construct, id: string) {
    super(
      scope,
      id,
      accountAgnostic(id, 'jit-broker: the IAM Identity Center permission set that may call the broker API')
    );
    const instanceArn = new CfnParameter(this, 'IdentityCenterInstanceArn', {
      type: 'String',
      description: 'arn:aws:sso:::instance/ssoins-… (aws sso-admin list-instances)',
      allowedPattern: '^arn:aws[a-z-]*:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}$',
    }).valueAsString;
    const apiInvokeArn = new CfnParameter(this, 'BrokerApiInvokeArn', {
      type: 'String',
      description: "ApiInvokeArn output of the broker's JitBroker stack",
      allowedPattern: '^arn:aws[a-z-]*:execute-api:[a-z0-9-]+:[0-9]{12}:[a-z0-9]+/\\*$',
    }).valueAsString;
    const sessionHours = new CfnParameter(this, 'SessionHours', {
      type: 'String',
      default: '8',
      allowedPattern: '^([1-9]|1[0-2])$',
      description: 'Hours (1-12) an engineer stays signed in before the portal or `aws sso login` asks again',
    }).valueAsString;
    const groupId = new CfnParameter(this, 'CallerGroupId', {
      type: 'String',
      description: 'The Identity Store group of the engineers who may call the broker (aws identitystore get-group-id)',
      allowedPattern: '^([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}$',
    }).valueAsString;
    const brokerAccount = new CfnParameter(this, 'BrokerAccountId', {
      type: 'String',
      description: 'The account the broker runs in: the permission set is assigned there',
      allowedPattern: '^[0-9]{12}$',
    }).valueAsString;

    const permissionSet = new CfnPermissionSet(this, 'Caller', {
      instanceArn,
      name: CALLER_PERMISSION_SET,
      description: 'Call the jit-broker API (execute-api:Invoke on it, nothing else)',
      sessionDuration: Fn.join('', ['PT', sessionHours, 'H']),
      inlinePolicy: callerPolicy(apiInvokeArn),
    });
    new CfnAssignment(this, 'CallerGroupInBrokerAccount', {
      instanceArn,
      permissionSetArn: permissionSet.attrPermissionSetArn,
      principalType: 'GROUP',
      principalId: groupId,
      targetType: 'AWS_ACCOUNT',
      targetId: brokerAccount,
    });
    new CfnOutput(this, 'CallerPermissionSetArn', { value: permissionSet.attrPermissionSetArn });
  }
}

export { CALLER_PERMISSION_SET, callerPolicy, JitCallerAccessStack };
