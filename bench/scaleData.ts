/**
 * Grants for bench/scale.ts, as the broker would have written them: each one opened, approved,
 * vended and ended by the domain's own transitions (functions/domain), from a template request the
 * real requestGrant made, each transition signed as the broker's signed store signs it
 * (signTransition, with the broker's key), and turned into table items by the store's own mapping
 * (grantItems.ts). Only ids, people, times and the access key differ from grant to grant.
 */
import { eventToItem, grantToItem, killToItem } from '../functions/adapters/aws/grantItems.js';
import { signTransition } from '../functions/app/signedGrantStore.js';
import type { AuditEvent } from '../functions/domain/auditChain.js';
import type { CatalogRole } from '../functions/domain/catalog.js';
import { approve, deny } from '../functions/domain/decisions.js';
import { expire, finish, killFact } from '../functions/domain/ending.js';
import { type Grant, openGrant, type Transition } from '../functions/domain/grant.js';
import { recordVend } from '../functions/domain/vending.js';
import type { ChainSigner } from '../functions/ports.js';

/** What a template request gives every synthetic grant: everything but who, when and which id. */
interface GrantTemplate {
  readonly role: CatalogRole;
  readonly grant: Grant;
  /** The `grant.requested` event's policy explanation. */
  readonly explanation: Readonly<Record<string, unknown>>;
  /** Approvers who can meet the quorum, as callers. */
  readonly approvers: readonly { userId: string; groups: string[] }[];
}

type Item = Record<string, unknown>;

/** How a synthetic grant's life went. Open ones are what the inbox and the sweeper read. */
type Lifecycle = 'done' | 'expired' | 'denied' | 'pending' | 'pending-overdue' | 'active' | 'active-overdue';

const MINUTE = 60_000;

const templateOf = (
  role: CatalogRole,
  requested: { grant: Grant; event: AuditEvent },
  approvers: GrantTemplate['approvers']
): GrantTemplate => ({
  role,
  grant: requested.grant,
  explanation: (requested.event.details.policy ?? {}) as Record<string, unknown>,
  approvers,
});

const accessKeyFor = (n: number): string => `ASIA${n.toString(36).toUpperCase().padStart(16, '0')}`;

/** One grant's life: the transitions the broker would have stored, in order (the first opens it). */
const grantLife = (
  template: GrantTemplate,
  options: { id: string; requester: string; createdAt: Date; lifecycle: Lifecycle; serial: number; keepKill?: boolean }
): Transition[] => {
  const { grant: base, role } = template;
  const at = (minutes: number) => new Date(options.createdAt.getTime() + minutes * MINUTE);
  const pendingWindowSeconds = Math.round((Date.parse(base.pendingUntil) - Date.parse(base.createdAt)) / 1000);
  const opened = openGrant({
    id: options.id,
    requester: options.requester,
    request: {
      role: role.id,
      scope: base.scope,
      durationSeconds: base.durationSeconds,
      reason: base.reason,
      ...(base.ticket === undefined ? {} : { ticket: base.ticket }),
    },
    role,
    rule: {
      approvers: base.approvers,
      required: base.requiredApprovals,
      pendingWindowSeconds,
      maxDurationSeconds: role.maxDurationSeconds,
      source: [],
    },
    catalogVersion: base.catalogVersion,
    narrowed: { sessionPolicy: base.sessionPolicy, privilegeWidth: base.privilegeWidth },
    now: options.createdAt,
    explanation: template.explanation,
  });
  const chain: Transition[] = [opened];
  const step = (next: (grant: Grant) => Transition) => {
    chain.push(next((chain.at(-1) as Transition).grant));
  };
  const { lifecycle } = options;
  if (lifecycle === 'denied') {
    step((g) => deny(g, template.approvers[0] as GrantTemplate['approvers'][number], at(10), 'not for this task'));
  } else if (lifecycle !== 'pending' && lifecycle !== 'pending-overdue') {
    for (const [i, caller] of template.approvers.slice(0, base.requiredApprovals).entries()) {
      step((g) => approve(g, caller, at(5 + i)));
    }
    const vendAt = at(8);
    step((g) =>
      recordVend(
        g,
        { userId: g.requester, groups: [] },
        {
          accessKeyId: accessKeyFor(options.serial),
          expiration: new Date(vendAt.getTime() + 60 * MINUTE),
          assumedRoleArn: `${role.roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/')}/${g.id}`,
          sessionName: `jit-${g.requester}-${g.id}`.slice(0, 64),
          durationSeconds: 3600,
        },
        vendAt
      )
    );
    if (lifecycle === 'done') {
      const end = finish((chain.at(-1) as Transition).grant, { userId: options.requester, groups: [] }, at(40));
      chain.push(end);
      step((g) => killFact(g, 'grant.sessions-killed', { roleArn: g.roleArn }, at(41)));
      if (!options.keepKill) step((g) => killFact(g, 'grant.kill-pruned', { roleArn: g.roleArn }, at(75)));
    } else if (lifecycle === 'expired') {
      step((g) => expire(g, new Date(Date.parse(g.expiresAt as string) + MINUTE)));
    }
  }
  return chain;
};

/**
 * One grant's items: the grant as it ends up, every audit event on its way (each signed by
 * `signer`, as the broker's store signs an append), and the kill record when `keepKill` says its
 * kill is still in force (older kills are pruned, as the broker does).
 */
const grantItems = async (
  template: GrantTemplate,
  options: Parameters<typeof grantLife>[1],
  signer: ChainSigner
): Promise<Item[]> => {
  const chain: Transition[] = [];
  for (const transition of grantLife(template, options)) chain.push(await signTransition(signer, transition));
  const last = (chain.at(-1) as Transition).grant;
  const kills = options.keepKill ? chain.flatMap((t) => (t.kill ? [killToItem(t.kill)] : [])) : [];
  return [grantToItem(last), ...chain.map((t) => eventToItem(t.event)), ...kills];
};

export type { GrantTemplate, Item, Lifecycle };
export { grantItems, grantLife, templateOf };
