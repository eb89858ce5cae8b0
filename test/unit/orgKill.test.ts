import { describe, expect, it } from 'vitest';
import { killOnRole, killSessions } from '../../functions/app/killSessions.js';
import type { KillRecord } from '../../functions/domain/grant.js';
import {
  EMPTY_ORG_KILL,
  killIsOver,
  ORG_POLICY_LIMIT,
  orgKillUntil,
  renderOrgKillPolicy,
} from '../../functions/domain/orgKill.js';
import { decide } from '../helpers/iamDecision.js';
import { deniedIn, endedGrant, memoryKillDeps, ROLE, T0 } from '../helpers/memoryKillPorts.js';

/**
 * The organization-wide kill SCP: rendered from the kill records, judged by the independent IAM
 * evaluator (@cloud-copilot/iam-simulate, dev-only) with the SCP attached at the organization root
 * beside FullAWSAccess, for sessions on OTHER roles than the grant's — where a session chained
 * from the grant ends up, still carrying the grant's source identity.
 */
const NOW = new Date('2026-11-23T10:00:00.000Z');
const ENDED = 'g-01jendedgrant0000000000000';
const LIVE = 'g-01jlivegrant00000000000000';

const kill = (
  grantId: string,
  endedAt = '2026-11-23T09:55:00.000Z',
  until = '2026-11-23T10:20:00.000Z'
): KillRecord => ({
  grantId,
  roleArn: 'arn:aws:iam::123456789012:role/jit/prod-admin',
  sourceIdentity: grantId,
  endedAt,
  until,
});
const many = (count: number) =>
  Array.from({ length: count }, (_, i) =>
    kill(`g-01jkill${String(i).padStart(18, '0')}`, `2026-11-23T09:${String(10 + (i % 40)).padStart(2, '0')}:00.000Z`)
  );

/** A session chained into another account's role, with no session policy, calling as that role. */
const chained = (orgKillPolicy: string, sourceIdentity: string, issuedAt?: string) =>
  decide({
    sourceIdentity,
    orgKillPolicy,
    roleName: 'workload-admin',
    chained: true,
    ...(issuedAt === undefined ? {} : { issuedAt }),
  });

describe('the organization kill SCP, as AWS would evaluate it', () => {
  it('denies a session chained into another role that carries the killed source identity', async () => {
    const rendered = renderOrgKillPolicy([kill(ENDED)], NOW);
    expect(rendered.kind).toBe('per-grant');
    expect(await chained(rendered.document, ENDED)).toBe('ExplicitlyDenied');
  });

  it('leaves a live grant’s chained session, and sessions with no source identity of ours, alone', async () => {
    const rendered = renderOrgKillPolicy([kill(ENDED)], NOW);
    expect(await chained(rendered.document, LIVE)).toBe('Allowed');
    expect(await chained(rendered.document, 'ci-pipeline')).toBe('Allowed');
  });

  it('with nothing to kill, denies nothing (an SCP cannot be empty)', async () => {
    const rendered = renderOrgKillPolicy([kill(ENDED, '2026-11-23T08:00:00.000Z', '2026-11-23T08:30:00.000Z')], NOW);
    expect(rendered).toEqual({ kind: 'none', document: EMPTY_ORG_KILL, grantIds: [] });
    expect(await chained(EMPTY_ORG_KILL, ENDED)).toBe('Allowed');
    expect(await chained(EMPTY_ORG_KILL, LIVE)).toBe('Allowed');
  });

  it('overflows loudly to deny every broker session issued before the latest end, within 5,120 characters', async () => {
    const rendered = renderOrgKillPolicy(many(200), NOW);
    expect(rendered.kind).toBe('issued-before');
    if (rendered.kind !== 'issued-before') return;
    expect(rendered.document.length).toBeLessThanOrEqual(ORG_POLICY_LIMIT);
    expect(rendered.grantIds).toHaveLength(200);
    expect(rendered.issuedBefore).toBe('2026-11-23T09:49:00.000Z');
    expect(await chained(rendered.document, LIVE, '2026-11-23T09:30:00Z')).toBe('ExplicitlyDenied');
    expect(await chained(rendered.document, LIVE, '2026-11-23T09:50:00Z')).toBe('Allowed');
    expect(await chained(rendered.document, 'ci-pipeline', '2026-11-23T09:30:00Z')).toBe('Allowed');
  });

  it('lists grants by name while they fit in 5,120 characters, every character counted', () => {
    const fits = (n: number) => renderOrgKillPolicy(many(n), NOW);
    let n = 1;
    while (fits(n + 1).kind === 'per-grant') n++;
    expect(fits(n).document.length).toBeLessThanOrEqual(ORG_POLICY_LIMIT);
    expect(fits(n + 1).kind).toBe('issued-before');
    expect(n).toBeGreaterThan(100);
  });
});

describe('how long the organization keeps a kill', () => {
  it('keeps it an hour (the longest chained session) past the end, plus the margin, or until the credentials would expire', () => {
    expect(orgKillUntil(kill(ENDED, '2026-11-23T09:55:00.000Z', '2026-11-23T10:20:00.000Z'))).toBe(
      '2026-11-23T11:00:00.000Z'
    );
    expect(orgKillUntil(kill(ENDED, '2026-11-23T09:55:00.000Z', '2026-11-23T12:00:00.000Z'))).toBe(
      '2026-11-23T12:00:00.000Z'
    );
  });

  it('lets a kill record go only when both its denies are over', () => {
    const record = kill(ENDED, '2026-11-23T09:55:00.000Z', '2026-11-23T10:20:00.000Z');
    const at = (iso: string) => new Date(iso);
    expect(killIsOver(record, at('2026-11-23T10:30:00.000Z'), false)).toBe(true);
    expect(killIsOver(record, at('2026-11-23T10:30:00.000Z'), true)).toBe(false);
    expect(killIsOver(record, at('2026-11-23T11:00:00.000Z'), true)).toBe(true);
  });
});

describe('rendering the organization kill with the role kill', () => {
  const ENDED_AT = new Date(T0.getTime() + 600_000);

  it('writes the same kill records to the SCP, with a sessions-killed fact per scope after each write', async () => {
    const m = memoryKillDeps({ orgKill: true });
    const ended = endedGrant(1, ENDED_AT);
    m.store.end(ended);
    const { answer } = await killSessions(m.deps, ROLE.roleArn);
    expect(answer).toEqual({ status: 'applied', organization: 'applied' });
    expect(deniedIn(m.org.content)).toEqual([ended.grant.id]);
    const facts = (m.store.events.get(ended.grant.id) ?? []).filter((e) => e.type === 'grant.sessions-killed');
    expect(facts.map((e) => e.details.scope).sort()).toEqual(['organization', 'role']);
  });

  it('keeps the kill record, and the SCP entry, after the role’s deny is over, until chained sessions are', async () => {
    const m = memoryKillDeps({ orgKill: true });
    const ended = endedGrant(1, ENDED_AT); // credentials until T0+1h; role deny until T0+1h05
    m.store.end(ended);
    await killSessions(m.deps, ROLE.roleArn);
    m.clock.advance(3600); // T0+1h10: the role's deny is over, the organization's not (ended T0+10m → T0+1h15)
    await killSessions(m.deps, ROLE.roleArn);
    expect(m.rolePolicies.document(ROLE.roleArn, 'jit-broker-session-kill')).toBeUndefined();
    expect(deniedIn(m.org.content)).toEqual([ended.grant.id]);
    m.clock.advance(600); // T0+1h20: both over
    await killOnRole(m.deps, ROLE.roleArn);
    expect(m.store.kills.size).toBe(0);
    await killSessions(m.deps, ROLE.roleArn);
    expect(m.org.content).toBe(EMPTY_ORG_KILL);
  });

  it('alerts kill-overflow when the SCP falls back, and says so in the sessions-killed fact', async () => {
    const m = memoryKillDeps({ orgKill: true });
    const endings = Array.from({ length: 200 }, (_, i) => endedGrant(i, ENDED_AT));
    for (const ended of endings) m.store.end(ended);
    await killSessions(m.deps, ROLE.roleArn);
    expect(JSON.parse(m.org.content).Statement[0].Sid).toBe('JitBrokerSessionsIssuedBefore');
    expect(m.alerts).toEqual([
      expect.objectContaining({ kind: 'kill-overflow', details: expect.objectContaining({ scope: 'organization' }) }),
    ]);
    const fact = (m.store.events.get(endings[0]?.grant.id ?? '') ?? []).find(
      (e) => e.type === 'grant.sessions-killed' && e.details.scope === 'organization'
    );
    expect(fact?.details.mode).toBe('issued-before');
  });
});
