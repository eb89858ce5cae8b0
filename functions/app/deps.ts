import type { BrokerConfig } from '../config/brokerConfig.js';
import type {
  ActionCatalog,
  Alerts,
  Clock,
  CredentialIssuer,
  ExpiryScheduler,
  GrantStore,
  GroupDirectory,
  IdGenerator,
  Logger,
  RolePolicies,
} from '../ports.js';

/** What the use cases need from the outside world; composed once per process (handlers/composeBroker.ts). */
interface BrokerDeps {
  readonly config: BrokerConfig;
  readonly store: GrantStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly directory: GroupDirectory;
  readonly logger: Logger;
  readonly actions: ActionCatalog;
  readonly credentials: CredentialIssuer;
  readonly rolePolicies: RolePolicies;
  readonly expiry: ExpiryScheduler;
  readonly alerts: Alerts;
}

export type { BrokerDeps };
