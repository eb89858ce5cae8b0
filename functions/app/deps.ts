import type { BrokerConfig } from '../config/brokerConfig.js';
import type { Clock, GrantStore, GroupDirectory, IdGenerator, Logger } from '../ports.js';

/** What the use cases need from the outside world; composed once per process (handlers/runtime.ts). */
interface BrokerDeps {
  readonly config: BrokerConfig;
  readonly store: GrantStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly directory: GroupDirectory;
  readonly logger: Logger;
}

export type { BrokerDeps };
