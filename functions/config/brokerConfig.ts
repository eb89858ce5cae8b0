import type { AnomalyConfig } from '../domain/anomaly.js';
import type { Catalog } from '../domain/catalog.js';
import type { IdentitySource } from '../domain/identity.js';
import type { BrokerPolicies } from '../policy/policySet.js';
import type { CiConfig } from './ciConfig.js';

/** Everything an operator configures, validated as one unit. */
interface BrokerConfig {
  readonly catalog: Catalog;
  /** Principals (users or `group:<name>`) who may see every grant and its audit. */
  readonly security: readonly string[];
  /** groups.json; empty when groups come from the identity store (`groupSource`). */
  readonly groups: ReadonlyMap<string, readonly string[]>;
  readonly groupSource: GroupSource;
  readonly identitySources: readonly IdentitySource[];
  /** Who may request what, who approves, auto-approval and break-glass: config/policies/*.cedar. */
  readonly policies: BrokerPolicies;
  /** Trusted CI token issuers and deploy templates (ci.json; none when the file is absent). */
  readonly ci: CiConfig;
  /** What the broker does on its own when a grant's sessions misbehave (anomaly.json; nothing when absent). */
  readonly anomaly: AnomalyConfig;
}

/**
 * Where callers' groups come from: groups.json, or IAM Identity Center's identity store (read at
 * request time, cached per process for `cacheSeconds`, at most `cacheEntries` users).
 */
type GroupSource =
  | { readonly source: 'groups-file' }
  | {
      readonly source: 'identity-store';
      readonly identityStoreId: string;
      readonly region: string;
      readonly cacheSeconds: number;
      readonly cacheEntries: number;
    };

/** The configuration files, by the name an operator sees in messages. */
const CONFIG_FILES = {
  catalog: 'catalog.json',
  groups: 'groups.json',
  identitySources: 'identity-sources.json',
} as const;
/** The folder of Cedar policy files (`*.cedar`), relative to the configuration directory. */
const POLICIES_DIR = 'policies';
type ConfigFileKey = keyof typeof CONFIG_FILES;
/** Files that may be absent: groups.json, when groups come from the identity store. */
const OPTIONAL_CONFIG_FILES: ReadonlySet<ConfigFileKey> = new Set(['groups']);
/** Optional: without it the broker trusts no CI issuer. */
const CI_FILE = 'ci.json';
/** Optional: without it no anomaly rule revokes or flags anything (docs/audit.md). */
const ANOMALY_FILE = 'anomaly.json';

export type { BrokerConfig, ConfigFileKey, GroupSource };
export { ANOMALY_FILE, CI_FILE, CONFIG_FILES, OPTIONAL_CONFIG_FILES, POLICIES_DIR };
