import type { KillDeps } from '../../functions/app/killSessions.js';
import type { BrokerConfig } from '../../functions/config/brokerConfig.js';
import type { AuditEvent } from '../../functions/domain/auditChain.js';
import type { CatalogRole } from '../../functions/domain/catalog.js';
import { approve } from '../../functions/domain/decisions.js';
import { finish } from '../../functions/domain/ending.js';
import { ConcurrentUpdateError } from '../../functions/domain/errors.js';
import { type Grant, type KillRecord, openGrant, type Transition } from '../../functions/domain/grant.js';
import { recordVend } from '../../functions/domain/vending.js';
import type {
  Alerts,
  InlinePolicy,
  KillApplied,
  KillLease,
  KillLeases,
  KillStore,
  OrgKillPolicy,
  RolePolicies,
  StoredKill,
} from '../../functions/ports.js';
import { manualClock, PROD_READ_ROLE } from './fixtures.js';

/**
 * The ports the kill renderer uses, in memory, for tests that must control every step: what each
 * write did, in order, and the same conditions the DynamoDB and IAM adapters enforce.
 */

const ROLE = PROD_READ_ROLE;

const killKey = (kill: KillRecord) => `${kill.roleArn}|${kill.grantId}`;
const MARK = { role: 'appliedAt', organization: 'orgAppliedAt' } as const;

class MemoryKillStore implements KillStore {
  readonly grants = new Map<string, Grant>();
  readonly kills = new Map<string, StoredKill>();
  readonly events = new Map<string, AuditEvent[]>();
  /** Every mark the renderer asked for, written or not: how many times each kill was marked. */
  readonly markAttempts: string[] = [];
  /** Called as each `grant.sessions-killed` lands: lets a test check it follows a policy write. */
  onApplied: (applied: KillApplied) => void = () => {};

  /** What the end's transaction writes: the ended grant, its event and its kill record. */
  end({ grant, event, kill }: Transition): void {
    this.grants.set(grant.id, grant);
    this.events.set(grant.id, [...(this.events.get(grant.id) ?? []), event]);
    if (kill !== undefined) this.kills.set(killKey(kill), kill);
  }

  async get(id: string) {
    return this.grants.get(id);
  }

  async getMany(ids: readonly string[]) {
    return ids.flatMap((id) => this.grants.get(id) ?? []);
  }

  async listKills(roleArn: string) {
    return [...this.kills.values()].filter((k) => k.roleArn === roleArn);
  }

  async listAllKills() {
    return [...this.kills.values()];
  }

  async deleteKill(kill: KillRecord) {
    this.kills.delete(killKey(kill));
  }

  async recordKillsApplied(applied: readonly KillApplied[]) {
    const moved: KillApplied[] = [];
    for (const a of applied) {
      this.markAttempts.push(`${a.scope}|${a.kill.grantId}`);
      const stored = this.kills.get(killKey(a.kill));
      if (stored === undefined || stored[MARK[a.scope]] !== undefined) continue;
      if (!this.#moves(a.from, a.to)) {
        moved.push(a);
        continue;
      }
      this.kills.set(killKey(a.kill), { ...stored, [MARK[a.scope]]: a.to.event.at });
      this.onApplied(a);
    }
    return moved;
  }

  async recordKillPruned(from: Grant, to: Transition, kill: KillRecord) {
    if (!this.kills.has(killKey(kill)) || !this.#moves(from, to)) {
      throw new ConcurrentUpdateError('CONCURRENT_UPDATE', `grant ${from.id} moved`);
    }
    this.kills.delete(killKey(kill));
  }

  /** The grant's conditional write: only from the version it was read at. */
  #moves(from: Grant, to: Transition): boolean {
    const current = this.grants.get(from.id);
    if (current === undefined || current.version !== from.version || current.state !== from.state) return false;
    this.grants.set(to.grant.id, to.grant);
    this.events.set(to.grant.id, [...(this.events.get(to.grant.id) ?? []), to.event]);
    return true;
  }
}

class MemoryKillLeases implements KillLeases {
  readonly #leases = new Map<string, { token: string; notices: number; expiresAt: number }>();
  #tokens = 0;

  async claim(target: string, now: Date, until: Date) {
    const current = this.#leases.get(target);
    if (current !== undefined && current.expiresAt >= now.getTime()) return undefined;
    const lease = { token: `t${++this.#tokens}`, notices: 0 };
    this.#leases.set(target, { ...lease, expiresAt: until.getTime() });
    return lease;
  }

  async notify(target: string, now: Date) {
    const current = this.#leases.get(target);
    if (current === undefined || current.expiresAt < now.getTime()) return false;
    current.notices += 1;
    return true;
  }

  async renew(target: string, lease: KillLease, until: Date) {
    const current = this.#leases.get(target);
    if (current?.token !== lease.token) return undefined;
    current.expiresAt = until.getTime();
    return { token: lease.token, notices: current.notices };
  }

  async release(target: string, lease: KillLease, force = false) {
    const current = this.#leases.get(target);
    if (current?.token !== lease.token) return 'lost' as const;
    if (!force && current.notices !== lease.notices) return 'notified' as const;
    this.#leases.delete(target);
    return 'released' as const;
  }
}

/** Inline policies of roles, with every write that landed, in order. */
class MemoryRolePolicies implements RolePolicies {
  readonly #policies = new Map<string, Map<string, string>>();
  readonly landed: { readonly roleArn: string; readonly document: string | undefined }[] = [];

  async list(roleArn: string): Promise<readonly InlinePolicy[]> {
    return [...(this.#policies.get(roleArn) ?? new Map<string, string>())].map(([name, document]) => ({
      name,
      document,
    }));
  }

  async put(roleArn: string, policy: InlinePolicy) {
    const role = this.#policies.get(roleArn) ?? new Map<string, string>();
    role.set(policy.name, policy.document);
    this.#policies.set(roleArn, role);
    this.landed.push({ roleArn, document: policy.document });
  }

  async delete(roleArn: string, name: string) {
    this.#policies.get(roleArn)?.delete(name);
    this.landed.push({ roleArn, document: undefined });
  }

  document(roleArn: string, name: string): string | undefined {
    return this.#policies.get(roleArn)?.get(name);
  }
}

/** The organization's kill SCP, with every write that landed, in order. */
class MemoryOrgKillPolicy implements OrgKillPolicy {
  content = '';
  readonly landed: string[] = [];

  async read() {
    return this.content;
  }

  async write(document: string) {
    this.content = document;
    this.landed.push(document);
  }
}

/** The source identities a kill document (role policy or SCP) denies by name. */
const deniedIn = (document: string | undefined): string[] => {
  if (document === undefined) return [];
  const names = JSON.parse(document).Statement[0].Condition.StringEquals?.['aws:SourceIdentity'];
  return names === undefined ? [] : [names].flat();
};

const T0 = new Date('2026-11-23T09:00:00.000Z');

/**
 * Grant number `n` on the role, vended at T0 for an hour and ended by its requester at `endedAt`:
 * the transition the end writes, with its kill record.
 */
const endedGrant = (n: number, endedAt: Date, role: CatalogRole = ROLE): Transition => {
  const alice = { userId: 'alice', groups: [] };
  const opened = openGrant({
    id: `g-01jtest${String(n).padStart(18, '0')}`,
    requester: 'alice',
    request: {
      role: role.id,
      scope: { actions: ['s3:GetObject'], resources: ['*'] },
      durationSeconds: 3600,
      reason: 'r',
    },
    role,
    rule: { approvers: ['group:sre'], required: 1, pendingWindowSeconds: 3600, maxDurationSeconds: 7200, source: [] },
    catalogVersion: 'v1',
    narrowed: { sessionPolicy: '{}', privilegeWidth: 1 },
    now: T0,
  });
  const approved = approve(opened.grant, { userId: 'bob', groups: ['sre'] }, T0).grant;
  const issued = {
    accessKeyId: `ASIA${n}`,
    expiration: new Date(T0.getTime() + 3600_000),
    assumedRoleArn: `arn:aws:sts::123456789012:assumed-role/${role.id}/alice.${approved.id}`,
    sessionName: `alice.${approved.id}`,
    durationSeconds: 3600,
  };
  const active = recordVend(approved, alice, issued, T0).grant;
  return finish(active, alice, endedAt);
};

/** The kill renderer's dependencies, all in memory, on a clock the test moves. */
const memoryKillDeps = (options: { orgKill?: boolean } = {}) => {
  const alerts: { kind: string; details: Record<string, unknown> }[] = [];
  const raise: Alerts['raise'] = async (kind, details) => {
    alerts.push({ kind, details });
  };
  const ports = {
    store: new MemoryKillStore(),
    killLeases: new MemoryKillLeases(),
    rolePolicies: new MemoryRolePolicies(),
    org: new MemoryOrgKillPolicy(),
    clock: manualClock(new Date(T0.getTime() + 600_000)),
    alerts,
  };
  const deps = {
    store: ports.store,
    killLeases: ports.killLeases,
    rolePolicies: ports.rolePolicies,
    ...(options.orgKill ? { orgKill: ports.org } : {}),
    clock: ports.clock,
    alerts: { raise },
    logger: { info: () => {}, warn: () => {}, error: () => {} },
    config: { catalog: { roles: new Map([[ROLE.id, ROLE]]) } } as unknown as BrokerConfig,
  } satisfies KillDeps;
  return { deps, ...ports };
};

export {
  deniedIn,
  endedGrant,
  MemoryKillLeases,
  MemoryKillStore,
  MemoryOrgKillPolicy,
  MemoryRolePolicies,
  memoryKillDeps,
  ROLE,
  T0,
};
