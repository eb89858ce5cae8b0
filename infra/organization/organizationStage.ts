import { Annotations, type App, Stage } from 'aws-cdk-lib';
import type { BrokerConfig } from '../../functions/config/brokerConfig.js';
import type { StatelessStack } from '../statelessStack.js';
import { JitActivityForwardingStack } from './activityForwarding.js';
import { organizationAccess } from './brokerOrganization.js';
import { JitCallerAccessStack } from './callerAccess.js';
import { dataEventSelectors, JitDataEventTrailStack } from './dataEventTrail.js';
import { JitGuardrailsStack } from './guardrails.js';
import { CatalogShapeError, type WorkloadRole, workloadRoles } from './workloadRoles.js';
import { JitWorkloadRolesStack } from './workloadStack.js';

interface OrganizationOptions {
  /** `o-…`: the broker's default bus accepts forwarded activity from this organization. */
  readonly organizationId?: string;
}

/**
 * The templates for the rest of the organization, in their own stage `JitOrganization` (so
 * `cdk deploy --all` in the broker account never deploys them there): each is account-agnostic
 * and asset-free, for StackSets or `aws cloudformation deploy` in the accounts docs/deploy.md names.
 *
 * | stack                 | where                                              |
 * | --------------------- | -------------------------------------------------- |
 * | JitCallerAccess       | Identity Center administrator account, once         |
 * | JitGuardrails         | management account, once (SCP on the workload OUs)  |
 * | JitWorkloadRoles      | StackSet → workload OUs, one Region                 |
 * | JitActivityForwarding | StackSet → workload OUs, every Region + us-east-1   |
 * | JitDataEventTrail     | StackSet → workload OUs, one Region (optional)      |
 *
 */
const organizationTemplates = (app: App, config: BrokerConfig) => {
  const stage = new Stage(app, 'JitOrganization');
  const leftOut = (template: string, why: string) =>
    Annotations.of(stage).addWarningV2(
      `jit-broker:no-${template}`,
      `${template} is not synthesized: ${why}. Build it yourself from JitTargetRole, JitSessionKiller and ` +
        'JitDataEventTrailStack (docs/deploy.md).'
    );
  let roles: WorkloadRole[] | undefined;
  try {
    roles = workloadRoles(config);
  } catch (error) {
    if (!(error instanceof CatalogShapeError)) throw error;
    leftOut('JitWorkloadRoles', error.message);
  }
  const recordsData = roles !== undefined && dataEventSelectors(roles).length > 0;
  if (roles !== undefined && !recordsData) {
    leftOut('JitDataEventTrail', 'no catalog role reaches S3 objects or DynamoDB tables');
  }
  return {
    stage,
    callerAccess: new JitCallerAccessStack(stage, 'JitCallerAccess'),
    guardrails: new JitGuardrailsStack(stage, 'JitGuardrails'),
    workloadRoles: roles && new JitWorkloadRolesStack(stage, 'JitWorkloadRoles', { roles }),
    activityForwarding: new JitActivityForwardingStack(stage, 'JitActivityForwarding'),
    dataEventTrail:
      roles && recordsData ? new JitDataEventTrailStack(stage, 'JitDataEventTrail', { roles }) : undefined,
  };
};

type OrganizationTemplates = ReturnType<typeof organizationTemplates>;

/** The organization's templates, and what the broker stack needs from the organization side. */
const buildOrganization = (
  app: App,
  config: BrokerConfig,
  broker: StatelessStack,
  options: OrganizationOptions
): OrganizationTemplates => {
  organizationAccess(broker, { functions: broker.functions }, config, options);
  return organizationTemplates(app, config);
};

export type { OrganizationOptions, OrganizationTemplates };
export { buildOrganization, organizationTemplates };
