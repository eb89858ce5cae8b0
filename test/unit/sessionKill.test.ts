import { describe, expect, it } from 'vitest';
import type { KillRecord } from '../../functions/domain/grant.js';
import { policySize, ROLE_INLINE_BUDGET, renderKillPolicy } from '../../functions/domain/sessionKill.js';

const NOW = new Date('2026-11-23T10:00:00.000Z');
const kill = (n: number, untilMinutes = 30, endedMinutesAgo = 1): KillRecord => {
  const id = `g-01jkill${String(n).padStart(18, '0')}`;
  return {
    grantId: id,
    roleArn: 'arn:aws:iam::123456789012:role/jit/prod-read',
    sourceIdentity: id,
    endedAt: new Date(NOW.getTime() - endedMinutesAgo * 60_000).toISOString(),
    until: new Date(NOW.getTime() + untilMinutes * 60_000).toISOString(),
  };
};

describe('renderKillPolicy', () => {
  it('denies exactly the live killed grants by source identity, nothing else', () => {
    const rendered = renderKillPolicy([kill(2), kill(1), kill(3, -5)], NOW, 0);
    expect(rendered.kind).toBe('per-grant');
    if (rendered.kind !== 'per-grant') return;
    const document = JSON.parse(rendered.document);
    expect(document.Statement).toHaveLength(1);
    expect(document.Statement[0]).toMatchObject({ Effect: 'Deny', Action: '*', Resource: '*' });
    expect(document.Statement[0].Condition).toEqual({
      StringEquals: { 'aws:SourceIdentity': [kill(1).sourceIdentity, kill(2).sourceIdentity] },
    });
    expect(rendered.grantIds).toEqual([kill(1).grantId, kill(2).grantId]);
  });

  it('renders nothing once every killed credential would have expired anyway', () => {
    expect(renderKillPolicy([kill(1, -1), kill(2, 0)], NOW, 0)).toEqual({ kind: 'none', grantIds: [] });
  });

  it('falls back to a role-wide deny of sessions issued before the latest end when the budget overflows', () => {
    const many = Array.from({ length: 400 }, (_, i) => kill(i, 30, 400 - i));
    const rendered = renderKillPolicy(many, NOW, 0);
    expect(rendered.kind).toBe('role-wide');
    if (rendered.kind !== 'role-wide') return;
    expect(rendered.issuedBefore).toBe(kill(399, 30, 1).endedAt);
    expect(JSON.parse(rendered.document).Statement[0].Condition).toEqual({
      DateLessThan: { 'aws:TokenIssueTime': rendered.issuedBefore },
    });
    expect(rendered.grantIds).toHaveLength(400);
  });

  it('counts the role’s other inline policies against the 10,240-character budget', () => {
    const few = [kill(1), kill(2)];
    const alone = renderKillPolicy(few, NOW, 0);
    expect(alone.kind).toBe('per-grant');
    const size = alone.kind === 'per-grant' ? policySize(alone.document) : 0;
    expect(renderKillPolicy(few, NOW, ROLE_INLINE_BUDGET - size).kind).toBe('per-grant');
    expect(renderKillPolicy(few, NOW, ROLE_INLINE_BUDGET - size + 1).kind).toBe('role-wide');
  });

  it('measures policy size as IAM does, without whitespace', () => {
    expect(policySize('{ "a" : [ 1, 2 ] }\n')).toBe('{"a":[1,2]}'.length);
  });
});
