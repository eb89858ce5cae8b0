import { Annotations, Aws, CfnOutput, CfnResource, type Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BrokerConfig } from '../../functions/config/brokerConfig.js';
import { ROUTES } from '../../functions/handlers/routes.js';

/** The identity store reads IdentityStoreGroupDirectory makes (functions/adapters/aws/identityStoreGroupDirectory.ts). */
const IDENTITY_STORE_READS = [
  'identitystore:GetUserId',
  'identitystore:ListGroupMembershipsForMember',
  'identitystore:DescribeGroup',
];

/** AWS Organizations ids: `o-` and 10 to 32 lowercase letters or digits. */
const ORGANIZATION_ID = /^o-[a-z0-9]{10,32}$/;

/**
 * The functions that look up a caller's groups: every route behind SigV4 (the HTTP edge resolves
 * the caller's groups before the handler runs), reviewGrant included (it also reads the requester's).
 */
const groupReaders = (functions: ReadonlyMap<string, NodejsFunction>): NodejsFunction[] =>
  ROUTES.filter((r) => r.auth === 'iam').map((r) => {
    const fn = functions.get(r.name);
    if (fn === undefined) throw new Error(`no function for route ${r.name}`);
    return fn;
  });

/**
 * What the broker stack needs to serve a whole AWS Organization, added to it from the outside so
 * the stack's own file stays about the broker:
 *
 * - the default event bus accepts PutEvents from any principal of the organization
 *   (`aws:PrincipalOrgID`): the workload accounts' forwarding rules deliver grant-session calls
 *   there, where the recorder's rule takes them (JitActivityForwardingStack);
 * - when groups come from IAM Identity Center, the SigV4 route functions may read the identity
 *   store (GetUserId, ListGroupMembershipsForMember, DescribeGroup) of that store only;
 * - the output for the workload templates: `BrokerEventBusArn` (`ApiInvokeArn` comes from the broker stack).
 *
 * Without `organizationId` there is no bus policy: activity recording then sees the broker
 * account's own calls only (a warning at synth says so).
 */
const organizationAccess = (
  stack: Stack,
  refs: { functions: ReadonlyMap<string, NodejsFunction> },
  config: BrokerConfig,
  options: { organizationId?: string }
): void => {
  const defaultBusArn = stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
  if (options.organizationId !== undefined) {
    if (!ORGANIZATION_ID.test(options.organizationId)) {
      throw new Error(`organizationId must look like o-abcd123456, got '${options.organizationId}'`);
    }
    // A plain CfnResource: reading CfnEventBusPolicy's deprecated `principal` getter (synth and cdk-nag
    // walk every property) prints a deprecation warning on every synth; the L2 EventBusPolicy fails
    // to render a statement in this CDK version.
    new CfnResource(stack, 'OrganizationActivityIntake', {
      type: 'AWS::Events::EventBusPolicy',
      properties: {
        EventBusName: 'default',
        StatementId: 'jit-broker-organization-activity',
        Statement: {
          Sid: 'jit-broker-organization-activity',
          Effect: 'Allow',
          Principal: '*',
          Action: 'events:PutEvents',
          Resource: defaultBusArn,
          Condition: { StringEquals: { 'aws:PrincipalOrgID': options.organizationId } },
        },
      },
    });
  } else {
    Annotations.of(stack).addWarningV2(
      'jit-broker:no-organization',
      'No organizationId (cdk -c organizationId=o-…): the default event bus accepts no events from workload ' +
        'accounts, so only calls made in the broker account are recorded as grant activity.'
    );
  }

  const source = config.groupSource;
  if (source.source === 'identity-store') {
    const statement = new PolicyStatement({
      actions: IDENTITY_STORE_READS,
      resources: [
        // The store is named by id; its account is the Identity Center administrator's, not known here.
        `arn:${Aws.PARTITION}:identitystore::*:identitystore/${source.identityStoreId}`,
        // Users, groups and memberships have global ARNs: ids issued at run time, under the store above.
        `arn:${Aws.PARTITION}:identitystore:::user/*`,
        `arn:${Aws.PARTITION}:identitystore:::group/*`,
        `arn:${Aws.PARTITION}:identitystore:::membership/*`,
      ],
    });
    for (const fn of groupReaders(refs.functions)) fn.addToRolePolicy(statement);
  }

  new CfnOutput(stack, 'BrokerEventBusArn', {
    value: defaultBusArn,
    description: 'Parameter BrokerEventBusArn of the JitActivityForwarding StackSet',
  });
  // ApiInvokeArn (the JitCallerAccess stack's BrokerApiInvokeArn) is the broker stack's own output.
};

export { groupReaders, IDENTITY_STORE_READS, ORGANIZATION_ID, organizationAccess };
