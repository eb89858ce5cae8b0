import { describe, expect, it } from 'vitest';
import { LEASE_SECONDS, MAX_PASSES, type RenderStatus } from '../../functions/app/killLease.js';
import { killOnRole, killSessions } from '../../functions/app/killSessions.js';
import { KILL_POLICY_NAME } from '../../functions/domain/sessionKill.js';
import { explore, Interleaver, type Scenario } from '../helpers/interleaver.js';
import { deniedIn, endedGrant, memoryKillDeps, ROLE, T0 } from '../helpers/memoryKillPorts.js';

/**
 * The kill renderer under concurrency, with every port call of every actor stopped at a gate and
 * let through one at a time: the enders (each records its end and kill, then renders or announces),
 * the clock (a lease running out), and death (a renderer that stops for good). For each schedule
 * explored, after every live actor is done:
 *
 * - completeness: the kill policy IAM keeps last denies every kill recorded before it;
 * - honest answers: an end that answered 'applied' had its kill in a policy write that had landed;
 * - honest audit: each `grant.sessions-killed` follows a landed write that included the kill;
 * - linear cost: each kill is marked applied once (twice at most after a takeover).
 */

const ENDED_AT = new Date(T0.getTime() + 600_000);
type Memory = ReturnType<typeof memoryKillDeps>;
const killPolicyOf = (m: Memory) => m.rolePolicies.document(ROLE.roleArn, KILL_POLICY_NAME);

/** The renderer's ports as one actor sees them: every call waits at its gate. */
const gatedDeps = (il: Interleaver, actor: string, m: Memory) => ({
  ...m.deps,
  store: il.gated(actor, 'store', m.store),
  killLeases: il.gated(actor, 'lease', m.killLeases),
  rolePolicies: il.gated(actor, 'iam', m.rolePolicies),
});

/** One end as an actor: its transaction (the kill record) at one gate, then the renderer. */
const ender = (il: Interleaver, actor: string, m: Memory, ended: ReturnType<typeof endedGrant>) =>
  (async () => {
    await il.gate(actor, 'end', () => m.store.end(ended));
    return killOnRole(gatedDeps(il, actor, m), ROLE.roleArn);
  })();

interface RenderWorld {
  readonly m: ReturnType<typeof memoryKillDeps>;
  readonly answers: Map<string, { status: RenderStatus; landedBefore: number }>;
  readonly failures: Error[];
  readonly auditBeforeWrite: string[];
}

/**
 * `enders` grants ended at once on one role, each by its own actor: the end's transaction (the
 * kill record) at one gate, then the renderer. Optionally a clock that runs a lease out, and a
 * reaper that kills the first ender wherever it stands.
 */
const endersOnOneRole =
  (
    options: { readonly enders: number; readonly clock?: boolean; readonly reaper?: boolean },
    checks: (w: RenderWorld) => void | Promise<void>
  ): Scenario =>
  (il) => {
    const m = memoryKillDeps();
    const world: RenderWorld = { m, answers: new Map(), failures: [], auditBeforeWrite: [] };
    m.store.onApplied = (a) => {
      const included = m.rolePolicies.landed.some((w) => deniedIn(w.document).includes(a.kill.sourceIdentity));
      if (!included) world.auditBeforeWrite.push(a.kill.grantId);
    };
    for (let i = 0; i < options.enders; i++) {
      const ended = endedGrant(i, ENDED_AT);
      ender(il, `ender${i}`, m, ended).then(
        (status) => world.answers.set(ended.grant.id, { status, landedBefore: m.rolePolicies.landed.length }),
        (error: Error) => world.failures.push(error)
      );
    }
    if (options.clock) void il.gate('clock', 'lease runs out', () => m.clock.advance(LEASE_SECONDS + 1));
    if (options.reaper) void il.gate('reaper', 'ender0 dies', () => il.kill('ender0'));
    return { check: () => checks(world) };
  };

/** What every schedule must leave behind once its live actors are done. */
const completeAndHonest = ({ m, answers, failures, auditBeforeWrite }: RenderWorld, markLimit = 1) => {
  expect(failures).toEqual([]);
  const recorded = [...m.store.kills.values()].map((k) => k.sourceIdentity);
  expect(deniedIn(killPolicyOf(m)).sort()).toEqual(recorded.sort());
  for (const [grantId, { status, landedBefore }] of answers) {
    if (status !== 'applied') continue;
    const written = m.rolePolicies.landed.slice(0, landedBefore).some((w) => deniedIn(w.document).includes(grantId));
    expect(written, `${grantId} answered 'applied' before any write included it`).toBe(true);
  }
  expect(auditBeforeWrite).toEqual([]);
  for (const kill of m.store.kills.values()) {
    expect(kill.appliedAt, `${kill.grantId} has no sessions-killed fact`).toBeDefined();
    expect(m.store.markAttempts.filter((a) => a === `role|${kill.grantId}`).length).toBeLessThanOrEqual(markLimit);
  }
};

/** After a death: the sweeper, once the dead holder's lease has run out, leaves everything complete. */
const sweptAfterDeath = async (world: RenderWorld) => {
  // The dead one's kill may be unrendered (it died before announcing), others' may wait on it.
  expect(world.failures).toEqual([]);
  world.m.clock.advance(LEASE_SECONDS + 1);
  expect(await killOnRole(world.m.deps, ROLE.roleArn)).toBe('applied');
  completeAndHonest(world);
};

describe('the kill renderer under every interleaving explored', () => {
  it.each([
    ['two ends at once, whatever the order of their calls', { enders: 2 }, 3, completeAndHonest, 150],
    [
      'three ends at once, kills recorded while another renderer’s write is in flight',
      { enders: 3 },
      2,
      completeAndHonest,
      1200,
    ],
    [
      'two ends and a lease running out at any moment (a slow holder is taken over)',
      { enders: 2, clock: true },
      2,
      (w: RenderWorld) => completeAndHonest(w, 2),
      600,
    ],
    ['two ends and the first dying at any moment', { enders: 2, reaper: true }, 3, sweptAfterDeath, 900],
  ] as const)(
    '%s: the last write is complete and every answer honest',
    async (_what, options, preemptions, check, atLeast) => {
      const runs = await explore(endersOnOneRole(options, check), { preemptions, limit: 20_000 });
      expect(runs).toBeGreaterThanOrEqual(atLeast);
    }
  );
});

describe('named interleavings', () => {
  const twoEnders = () => {
    const il = new Interleaver();
    const m = memoryKillDeps();
    const [a, b] = [endedGrant(1, ENDED_AT), endedGrant(2, ENDED_AT)];
    return { il, m, a, b, start: (name: string, ended: typeof a) => ender(il, name, m, ended) };
  };
  const both = (a: { grant: { id: string } }, b: { grant: { id: string } }) => [a.grant.id, b.grant.id].sort();

  it('a kill recorded while the holder’s write is in flight is announced, and the holder writes again', async () => {
    const { il, m, a, b, start } = twoEnders();
    const first = start('A', a);
    const second = start('B', b);
    await il.runUntil('A', 'iam.put'); // A listed only its own kill; its write is in flight
    await il.runUntil('B'); // B records, finds A's lease live, announces, answers
    await il.runUntil('A');
    expect(await second).toBe('pending');
    expect(await first).toBe('applied');
    expect(m.rolePolicies.landed.map((w) => deniedIn(w.document))).toEqual([[a.grant.id], both(a, b)]);
    expect(m.store.kills.get(`${ROLE.roleArn}|${b.grant.id}`)?.appliedAt).toBeDefined();
  });

  it('a stale write that lands after a takeover is followed by a complete one', async () => {
    const { il, m, a, b, start } = twoEnders();
    const first = start('A', a);
    await il.runUntil('A', 'iam.put'); // A's write of {A} is in flight…
    m.clock.advance(LEASE_SECONDS + 1); // …for longer than its lease
    const second = start('B', b);
    await il.runUntil('B'); // B takes the lease over, writes {A, B}, lets go
    expect(await second).toBe('applied');
    await il.runUntil('A'); // A's stale {A} lands last; A finds its lease lost and renders again
    expect(await first).toBe('applied');
    const writes = m.rolePolicies.landed.map((w) => deniedIn(w.document));
    expect(writes).toEqual([both(a, b), [a.grant.id], both(a, b)]);
  });

  it('a holder that dies is taken over once its lease runs out; kills announced to it wait for that', async () => {
    const { il, m, a, b, start } = twoEnders();
    void start('A', a);
    await il.runUntil('A', 'iam.put');
    il.kill('A'); // dies with its write never landing
    const second = start('B', b);
    await il.runUntil('B');
    expect(await second).toBe('pending'); // announced to the dead holder
    expect(killPolicyOf(m)).toBeUndefined();
    m.clock.advance(LEASE_SECONDS + 1);
    expect(await killOnRole(m.deps, ROLE.roleArn)).toBe('applied'); // the next end, or the sweeper
    expect(deniedIn(killPolicyOf(m))).toEqual(both(a, b));
  });

  it('a dead holder’s write landing after the takeover leaves a stale policy until the sweeper renders again', async () => {
    // The limit the docs state: nothing orders a dead process's request; the sweeper repairs it.
    const { il, m, a, b, start } = twoEnders();
    void start('A', a);
    await il.runUntil('A', 'iam.put');
    const inFlight = il.pending().find((s) => s.actor === 'A');
    il.kill('A');
    m.clock.advance(LEASE_SECONDS + 1);
    const second = start('B', b);
    await il.runUntil('B');
    expect(await second).toBe('applied');
    inFlight?.go(); // the dead holder's request reaches IAM late
    await new Promise((r) => setImmediate(r));
    expect(deniedIn(killPolicyOf(m))).toEqual([a.grant.id]);
    await killOnRole(m.deps, ROLE.roleArn); // the sweeper's render
    expect(deniedIn(killPolicyOf(m))).toEqual(both(a, b));
  });
});

describe('cost and give-up', () => {
  it('ending N grants at once costs one mark per kill and a few policy writes, not N²', async () => {
    const m = memoryKillDeps();
    const n = 60;
    const answers = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        m.store.end(endedGrant(i, ENDED_AT));
        return killOnRole(m.deps, ROLE.roleArn);
      })
    );
    expect(deniedIn(killPolicyOf(m))).toHaveLength(n);
    expect(answers.filter((s) => s === 'applied').length).toBeGreaterThanOrEqual(1);
    expect(m.store.markAttempts).toHaveLength(n);
    expect(m.rolePolicies.landed.length).toBeLessThanOrEqual(3);
  });

  it('stops after MAX_PASSES when kills keep arriving, alerts, and leaves them to the next renderer', async () => {
    const m = memoryKillDeps();
    let next = 0;
    // Each of the holder's reads lets another end record and announce its kill at once.
    const store = {
      ...m.store,
      get: m.store.get.bind(m.store),
      getMany: m.store.getMany.bind(m.store),
      listAllKills: m.store.listAllKills.bind(m.store),
      deleteKill: m.store.deleteKill.bind(m.store),
      recordKillsApplied: m.store.recordKillsApplied.bind(m.store),
      recordKillPruned: m.store.recordKillPruned.bind(m.store),
      listKills: async (roleArn: string) => {
        const listed = await m.store.listKills(roleArn);
        m.store.end(endedGrant(1000 + next++, ENDED_AT));
        await m.killLeases.notify(roleArn, m.clock.now());
        return listed;
      },
    };
    m.store.end(endedGrant(0, ENDED_AT));
    expect(await killOnRole({ ...m.deps, store }, ROLE.roleArn)).toBe('pending');
    expect(next).toBe(MAX_PASSES);
    expect(m.alerts.map((a) => a.kind)).toEqual(['kill-failed']);
    // The lease is free again: the next renderer (an end, or the sweeper) renders the rest.
    expect(await killOnRole(m.deps, ROLE.roleArn)).toBe('applied');
    expect(deniedIn(killPolicyOf(m))).toHaveLength(MAX_PASSES + 1);
  });

  it('answers per scope, and a scope that fails answers failed with its error', async () => {
    const m = memoryKillDeps({ orgKill: true });
    m.store.end(endedGrant(1, ENDED_AT));
    const broken = {
      ...m.deps,
      orgKill: { read: m.org.read.bind(m.org), write: () => Promise.reject(new Error('no')) },
    };
    const { answer, failures } = await killSessions(broken, ROLE.roleArn);
    expect(answer).toEqual({ status: 'applied', organization: 'failed' });
    expect(failures.map((f) => f.message)).toEqual(['no']);
  });
});
