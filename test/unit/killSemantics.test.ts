import { describe, expect, it } from 'vitest';
import type { KillRecord } from '../../functions/domain/grant.js';
import { renderKillPolicy } from '../../functions/domain/sessionKill.js';
import { decide } from '../helpers/iamDecision.js';

/**
 * What the rendered kill policy means for live sessions, judged by an independent IAM evaluator
 * (@cloud-copilot/iam-simulate, AGPL: a devDependency only). The role is broad; each grant's
 * session carries its grant id as source identity, as vending sets it.
 */
const ROLE_ARN = 'arn:aws:iam::123456789012:role/jit/prod-read';
const NOW = new Date('2026-11-23T10:00:00.000Z');
const ENDED = 'g-01jendedgrant0000000000000';
const LIVE = 'g-01jlivegrant00000000000000';

const kill = (grantId: string, endedAt: string): KillRecord => ({
  grantId,
  roleArn: ROLE_ARN,
  sourceIdentity: grantId,
  endedAt,
  until: '2026-11-23T11:00:00.000Z',
});

/** The decision for `grantId`'s session (issued at `issuedAt`) reading one object. */
const decideWith = (killPolicy: string, grantId: string, issuedAt?: string): Promise<string> =>
  decide({ sourceIdentity: grantId, killPolicy, ...(issuedAt === undefined ? {} : { issuedAt }) });

describe('the kill policy, as IAM would evaluate it', () => {
  it('denies the ended grant’s session and still allows another grant’s session on the same role', async () => {
    const rendered = renderKillPolicy([kill(ENDED, '2026-11-23T09:55:00Z')], NOW, 0);
    if (rendered.kind === 'none') throw new Error('expected a kill policy');
    expect(await decideWith(rendered.document, ENDED)).toBe('ExplicitlyDenied');
    expect(await decideWith(rendered.document, LIVE)).toBe('Allowed');
  });

  it('in the role-wide fallback, denies sessions issued before the latest end and allows fresh ones', async () => {
    const rendered = renderKillPolicy([kill(ENDED, '2026-11-23T09:55:00.000Z')], NOW, 10_240);
    expect(rendered.kind).toBe('role-wide');
    if (rendered.kind === 'none') return;
    expect(await decideWith(rendered.document, LIVE, '2026-11-23T09:30:00Z')).toBe('ExplicitlyDenied');
    expect(await decideWith(rendered.document, LIVE, '2026-11-23T09:56:00Z')).toBe('Allowed');
  });
});
