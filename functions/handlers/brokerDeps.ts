import { configGroupDirectory } from '../adapters/configGroupDirectory.js';
import { loggingAlerts } from '../adapters/loggingAlerts.js';
import { systemClock } from '../adapters/systemClock.js';
import { ulidIds } from '../adapters/ulidIds.js';
import type { BrokerDeps } from '../app/deps.js';
import { NotedOncePerProcess } from '../app/grantedRoles.js';
import { KnownGrants } from '../app/grantFacts.js';
import { RecentGrants } from '../app/recentGrants.js';
import { SignedGrantStore } from '../app/signedGrantStore.js';
import type { BrokerConfig, GroupSource } from '../config/brokerConfig.js';
import type { AuditEvent } from '../domain/auditChain.js';
import { ServiceUnavailableError } from '../domain/errors.js';
import type { Alerts, AuditArchiveReader, Clock, GroupDirectory, Logger } from '../ports.js';

/** The ports that reach outside the process: what differs between Lambda, the sandbox and the tests. */
type BrokerPorts = Pick<
  BrokerDeps,
  | 'store'
  | 'replayGuard'
  | 'activity'
  | 'denials'
  | 'grantedRoles'
  | 'credentials'
  | 'rolePolicies'
  | 'killLeases'
  | 'orgKill'
  | 'expiry'
  | 'policy'
  | 'actions'
  | 'workloadTokens'
  | 'directory'
  | 'activityLookup'
  | 'chainSigner'
  | 'archive'
>;

/** Where no archive is configured (every function but getGrantAudit in AWS), `?compare=archive` says so. */
const noArchive: AuditArchiveReader = {
  eventsOf: async () => {
    throw new ServiceUnavailableError(
      'ARCHIVE_UNAVAILABLE',
      'this broker has no audit archive to compare with (deploy the stateful stack with its archive bucket)'
    );
  },
};

type IdentityStoreSource = Extract<GroupSource, { source: 'identity-store' }>;

/** Group membership from groups.json, or from IAM Identity Center's identity store (built by `identityStore`). */
const groupDirectory = (
  config: BrokerConfig,
  identityStore: (source: IdentityStoreSource) => GroupDirectory
): GroupDirectory =>
  config.groupSource.source === 'groups-file' ? configGroupDirectory(config.groups) : identityStore(config.groupSource);

/**
 * The use cases' dependencies, from the ports a process composed (handlers/composeBroker.ts for the
 * sandbox and the tests, handlers/lambda/runtime.ts in Lambda) and what every process makes alike:
 * in every process the store signs each append with `chainSigner` (app/signedGrantStore.ts).
 * `afterAppend` sees each event once stored (the sandbox archives it there: it has no table stream).
 */
const brokerDeps = (input: {
  config: BrokerConfig;
  logger: Logger;
  ports: BrokerPorts;
  clock?: Clock;
  alerts?: Alerts;
  afterAppend?: (event: AuditEvent) => Promise<void>;
}): BrokerDeps => {
  const clock = input.clock ?? systemClock;
  const alerts = input.alerts ?? loggingAlerts(input.logger);
  const { store, ...ports } = input.ports;
  return {
    config: input.config,
    clock,
    ids: ulidIds(() => clock.now().getTime()),
    logger: input.logger,
    alerts,
    recentGrants: new RecentGrants(),
    knownGrants: new KnownGrants(),
    ...ports,
    grantedRoles: new NotedOncePerProcess(ports.grantedRoles, input.logger),
    store: new SignedGrantStore(store, {
      signer: ports.chainSigner,
      alerts,
      logger: input.logger,
      ...(input.afterAppend === undefined ? {} : { afterAppend: input.afterAppend }),
    }),
  };
};

export type { BrokerPorts, IdentityStoreSource };
export { brokerDeps, groupDirectory, noArchive };
