/**
 * The catalog: the roles the broker may grant and the facts about each. It is data the
 * operator writes (config/catalog.json) and the broker validates at start (config/loadConfig.ts).
 */
interface ScopeCeiling {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

interface ApprovalRule {
  /** User ids, or `group:<name>` for every member of a group. */
  readonly approvers: readonly string[];
  /** How many distinct approvers must approve (N of M). */
  readonly required: number;
  /** How long a request may wait for its approvals before it expires. */
  readonly pendingWindowSeconds: number;
}

interface CatalogRole {
  readonly id: string;
  readonly description: string;
  readonly roleArn: string;
  readonly accountId: string;
  readonly maxDurationSeconds: number;
  readonly scopeCeiling: ScopeCeiling;
  readonly approval: ApprovalRule;
}

interface Catalog {
  readonly version: string;
  readonly roles: ReadonlyMap<string, CatalogRole>;
}

export type { ApprovalRule, Catalog, CatalogRole, ScopeCeiling };
