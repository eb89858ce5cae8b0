import { App, type Environment, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { BrokerConfig } from '../functions/config/brokerConfig.js';
import { loadConfig } from '../functions/config/loadConfig.js';
import { ConfigurationError } from '../functions/domain/errors.js';
import type { AuditRetention } from './auditArchiveBucket.js';
import { acknowledgeFindings } from './nagAcknowledgements.js';
import { acknowledgeIdentityStoreReads, acknowledgeOrganizationFindings } from './organization/organizationNag.js';
import { buildOrganization, type OrganizationOptions } from './organization/organizationStage.js';
import type { OrgKillWiring } from './orgKill.js';
import { StatefulStack } from './statefulStack.js';
import { StatelessStack } from './statelessStack.js';

interface BrokerAppOptions {
  /** Configuration directory (catalog.json, groups.json, identity-sources.json). */
  readonly configDir: string;
  readonly app?: App;
  /** Omit for environment-agnostic stacks. */
  readonly env?: Environment;
  readonly alarmEmail?: string;
  /** cdk-nag AwsSolutions and Serverless packs; findings fail synth. Default on. */
  readonly nag?: boolean;
  /** Object Lock of the audit archive (infra/auditArchiveBucket.ts). */
  readonly auditRetention?: AuditRetention;
  /** The AWS Organization the broker serves (infra/organization/). */
  readonly organization?: OrganizationOptions;
  /** The organization-wide kill, when on (infra/orgKill.ts). */
  readonly orgKill?: OrgKillWiring;
}

/** The functions' stack: its role names start with it, which the audit chain key's policy relies on. */
const BROKER_STACK = 'JitBroker';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * CI issuers on "this machine" are the sandbox's and the tests' (sandbox/testOidcIssuer.ts mints
 * tokens for any claims). A deployed broker must never trust one: refused before any template.
 */
const refuseLoopbackIssuers = (config: BrokerConfig): void => {
  const problems = config.ci.issuers.flatMap((issuer) =>
    [issuer.issuer, issuer.jwksUri].some((url) => url !== undefined && LOOPBACK.has(new URL(url).hostname))
      ? [
          `ci.json: issuer '${issuer.id}' (${issuer.issuer}) is on this machine; loopback issuers are for the sandbox and tests, never a deployed broker`,
        ]
      : []
  );
  if (problems.length > 0) throw new ConfigurationError(problems);
};

/**
 * The broker's CDK app: the configuration is loaded and validated first, with the very messages the
 * sandbox gives (loadConfig throws ConfigurationError listing every problem), so a broken
 * configuration never reaches a template. That includes the Cedar policies (`policies/*.cedar`),
 * parsed and validated against functions/policy/schema.cedarschema with file:line problems.
 */
const buildBrokerApp = async (options: BrokerAppOptions) => {
  const config = await loadConfig(options.configDir);
  refuseLoopbackIssuers(config);
  const app = options.app ?? new App();
  const env = options.env;
  const stateful = new StatefulStack(app, 'JitBrokerStateful', {
    description: 'jit-broker: grant table, audit archive and audit chain key (state that outlives redeploys)',
    signingStackName: BROKER_STACK,
    ...(options.auditRetention ? { auditRetention: options.auditRetention } : {}),
    ...(env ? { env } : {}),
  });
  const stateless = new StatelessStack(app, BROKER_STACK, {
    description: 'jit-broker: API, functions, expiry scheduling, domain events, alarms',
    table: stateful.table,
    auditArchive: stateful.auditArchive,
    chainKey: stateful.chainKey,
    config,
    configDir: options.configDir,
    ...(options.alarmEmail ? { alarmEmail: options.alarmEmail } : {}),
    ...(options.orgKill ? { orgKill: options.orgKill } : {}),
    ...(env ? { env } : {}),
  });
  const organization = buildOrganization(app, config, stateless, options.organization ?? {});
  if (options.nag ?? true) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    acknowledgeFindings(stateful, stateless);
    acknowledgeOrganizationFindings(organization);
    if (config.groupSource.source === 'identity-store') {
      acknowledgeIdentityStoreReads(stateless, config.groupSource.identityStoreId);
    }
  }
  return { app, config, stateful, stateless, organization };
};

export type { BrokerAppOptions };
export { buildBrokerApp };
