import type { Catalog } from '../domain/catalog.js';
import type { IdentitySource } from '../domain/identity.js';

/** Everything an operator configures, validated as one unit. */
interface BrokerConfig {
  readonly catalog: Catalog;
  /** Principals (users or `group:<name>`) who may see every grant and its audit. */
  readonly security: readonly string[];
  readonly groups: ReadonlyMap<string, readonly string[]>;
  readonly identitySources: readonly IdentitySource[];
}

/** The configuration files, by the name an operator sees in messages. */
const CONFIG_FILES = {
  catalog: 'catalog.json',
  groups: 'groups.json',
  identitySources: 'identity-sources.json',
} as const;
type ConfigFileKey = keyof typeof CONFIG_FILES;

export type { BrokerConfig, ConfigFileKey };
export { CONFIG_FILES };
