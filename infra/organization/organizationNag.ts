import { acknowledge } from '../nagAcknowledgements.js';
import type { StatelessStack } from '../statelessStack.js';
import { groupReaders } from './brokerOrganization.js';
import type { OrganizationTemplates } from './organizationStage.js';
import { THIS_ACCOUNT } from './workloadRoles.js';

const hasWildcard = (text: string) => /[*?]/.test(text);

/**
 * Every cdk-nag finding the organization templates accept, each on its construct and with its
 * reason. The ceiling findings are computed from the catalog, one per wildcard the catalog puts in
 * a ceiling, named as cdk-nag names them (the stack's own account as `<AWS::AccountId>`).
 */
const acknowledgeOrganizationFindings = (organization: OrganizationTemplates): void => {
  for (const { spec, policy } of organization.workloadRoles?.ceilings ?? []) {
    const source = `the catalog's scopeCeiling of ${spec.catalogIds.join(', ')}`;
    const reason =
      `This policy is ${source}, as the role's permissions and its permissions boundary: its wildcards are the ` +
      "catalog's, and every grant narrows them with a session policy. As a boundary it is what keeps anything " +
      'written to the role within the catalog.';
    for (const action of spec.actions.filter(hasWildcard)) {
      acknowledge(policy, `AwsSolutions-IAM5[Action::${action}]`, reason);
    }
    for (const resource of spec.resources.filter(hasWildcard)) {
      const named = resource.split(THIS_ACCOUNT).join('<AWS::AccountId>');
      acknowledge(policy, `AwsSolutions-IAM5[Resource::${named}]`, reason);
    }
  }
  const queue = organization.activityForwarding.undelivered;
  const deadLetters =
    "This queue is the forwarding rule target's dead-letter queue (EventBridge DeadLetterConfig): nothing " +
    'consumes from it but an operator, so it has no dead-letter queue of its own.';
  acknowledge(queue, 'AwsSolutions-SQS3', deadLetters);
  acknowledge(queue, 'Serverless-SQSRedrivePolicy', deadLetters);
  if (organization.dataEventTrail === undefined) return;
  acknowledge(
    organization.dataEventTrail.bucket,
    'AwsSolutions-S1',
    'The bucket holds only CloudTrail log files (written by CloudTrail, validated by log file digests, ' +
      'expired by lifecycle): server access logs would need a second bucket, for a bucket nobody but ' +
      'CloudTrail writes.'
  );
};

/**
 * With groups from the identity store, the route functions read it: users, groups and memberships
 * have ids issued at run time, and the store's ARN carries the Identity Center administrator's
 * account, which the broker does not know.
 */
const acknowledgeIdentityStoreReads = (stateless: StatelessStack, identityStoreId: string): void => {
  const reason =
    'Identity Store users, groups and memberships have global ARNs with run-time ids (no narrower form ' +
    "exists); the store itself is named by id, and its owner account (the Identity Center administrator's) " +
    'is not known to the broker. Read-only: GetUserId, ListGroupMembershipsForMember, DescribeGroup.';
  for (const fn of groupReaders(stateless.functions)) {
    const policy = fn.role?.node.tryFindChild('DefaultPolicy');
    for (const resource of [
      `arn:<AWS::Partition>:identitystore::*:identitystore/${identityStoreId}`,
      'arn:<AWS::Partition>:identitystore:::user/*',
      'arn:<AWS::Partition>:identitystore:::group/*',
      'arn:<AWS::Partition>:identitystore:::membership/*',
    ]) {
      acknowledge(policy, `AwsSolutions-IAM5[Resource::${resource}]`, reason);
    }
  }
};

export { acknowledgeIdentityStoreReads, acknowledgeOrganizationFindings };
