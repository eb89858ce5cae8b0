/**
 * The catalog: the roles the broker may grant and the facts about each. It is data the
 * operator writes (config/catalog.json) and the broker validates at start (config/loadConfig.ts).
 * Who may request a role and who approves it is policy: config/policies/*.cedar (docs/policy.md).
 */
interface ScopeCeiling {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

interface CatalogRole {
  readonly id: string;
  readonly description: string;
  readonly roleArn: string;
  readonly accountId: string;
  readonly maxDurationSeconds: number;
  readonly scopeCeiling: ScopeCeiling;
  /** Exposed to policies as `resource.privileged`. */
  readonly privileged?: boolean;
}

interface Catalog {
  readonly version: string;
  readonly roles: ReadonlyMap<string, CatalogRole>;
}

export type { Catalog, CatalogRole, ScopeCeiling };
