import { App } from 'aws-cdk-lib';
import { ConfigurationError } from '../functions/domain/errors.js';
import { buildBrokerApp } from './brokerApp.js';

/**
 * `npx cdk synth` / `deploy`. Works offline and without credentials: the account and region come
 * from the CLI's environment when it has one (CDK_DEFAULT_ACCOUNT/REGION), otherwise the stacks are
 * environment-agnostic. Context: `configDir` (default `config`), `alarmEmail`, `auditRetentionMode`
 * (`compliance`, default, or `governance`) and `auditRetentionDays` (default 365) for the audit archive,
 * `organizationId` (`o-…`: the organization whose accounts forward grant activity to the broker),
 * and for the organization-wide kill `orgKillPolicyArn` with `orgKillerRoleArn` (docs/ending-access.md).
 *
 * Besides the broker's two stacks, the app synthesizes the organization's templates in the stage
 * `JitOrganization` (cdk.out/assembly-JitOrganization/): account-agnostic, for StackSets and the
 * management account (docs/deploy.md). `cdk deploy --all` deploys only the broker's stacks.
 */
const app = new App({
  // Lock in today's behaviour: the stateless stack's references to the table are CloudFormation exports.
  postCliContext: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' },
});
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
const configDir = (app.node.tryGetContext('configDir') as string | undefined) ?? 'config';
const alarmEmail = app.node.tryGetContext('alarmEmail') as string | undefined;
const retentionMode = app.node.tryGetContext('auditRetentionMode') as string | undefined;
const retentionDays = app.node.tryGetContext('auditRetentionDays') as string | number | undefined;
const organizationId = app.node.tryGetContext('organizationId') as string | undefined;
const orgKillPolicyArn = app.node.tryGetContext('orgKillPolicyArn') as string | undefined;
const orgKillerRoleArn = app.node.tryGetContext('orgKillerRoleArn') as string | undefined;
if ((orgKillPolicyArn === undefined) !== (orgKillerRoleArn === undefined)) {
  process.stderr.write('the organization-wide kill needs both orgKillPolicyArn and orgKillerRoleArn\n');
  process.exit(1);
}
if (retentionMode !== undefined && retentionMode !== 'governance' && retentionMode !== 'compliance') {
  process.stderr.write(`auditRetentionMode must be governance or compliance, got '${retentionMode}'\n`);
  process.exit(1);
}

try {
  await buildBrokerApp({
    app,
    configDir,
    ...(account && region ? { env: { account, region } } : {}),
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(orgKillPolicyArn && orgKillerRoleArn
      ? { orgKill: { policyArn: orgKillPolicyArn, killerRoleArn: orgKillerRoleArn } }
      : {}),
    auditRetention: {
      ...(retentionMode ? { mode: retentionMode } : {}),
      ...(retentionDays === undefined ? {} : { days: Number(retentionDays) }),
    },
    organization: organizationId ? { organizationId } : {},
  });
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  // The same message the sandbox prints; no stack trace, it is the configuration that needs fixing.
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
}
app.synth();
