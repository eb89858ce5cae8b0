import { configGroupDirectory } from '../adapters/configGroupDirectory.js';
import { loggingAlerts } from '../adapters/loggingAlerts.js';
import { systemClock } from '../adapters/systemClock.js';
import { ulidIds } from '../adapters/ulidIds.js';
import type { BrokerDeps } from '../app/deps.js';
import { KnownGrants } from '../app/grantFacts.js';
import { RecentGrants } from '../app/recentGrants.js';
import type { BrokerConfig, GroupSource } from '../config/brokerConfig.js';
import type { Alerts, Clock, GroupDirectory, Logger } from '../ports.js';

/** The ports that reach outside the process: what differs between Lambda, the sandbox and the tests. */
type BrokerPorts = Pick<
  BrokerDeps,
  | 'store'
  | 'replayGuard'
  | 'activity'
  | 'denials'
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
>;

type IdentityStoreSource = Extract<GroupSource, { source: 'identity-store' }>;

/** Group membership from groups.json, or from IAM Identity Center's identity store (built by `identityStore`). */
const groupDirectory = (
  config: BrokerConfig,
  identityStore: (source: IdentityStoreSource) => GroupDirectory
): GroupDirectory =>
  config.groupSource.source === 'groups-file' ? configGroupDirectory(config.groups) : identityStore(config.groupSource);

/**
 * The use cases' dependencies, from the ports a process composed (handlers/composeBroker.ts for the
 * sandbox and the tests, handlers/lambda/runtime.ts in Lambda) and what every process makes alike.
 */
const brokerDeps = (input: {
  config: BrokerConfig;
  logger: Logger;
  ports: BrokerPorts;
  clock?: Clock;
  alerts?: Alerts;
}): BrokerDeps => {
  const clock = input.clock ?? systemClock;
  return {
    config: input.config,
    clock,
    ids: ulidIds(() => clock.now().getTime()),
    logger: input.logger,
    alerts: input.alerts ?? loggingAlerts(input.logger),
    recentGrants: new RecentGrants(),
    knownGrants: new KnownGrants(),
    ...input.ports,
  };
};

export type { BrokerPorts, IdentityStoreSource };
export { brokerDeps, groupDirectory };
