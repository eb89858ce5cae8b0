import { runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import type { KillRecord } from '../../functions/domain/grant.js';
import { renderKillPolicy } from '../../functions/domain/sessionKill.js';

/**
 * What the rendered kill policy means for live sessions, judged by an independent IAM evaluator
 * (@cloud-copilot/iam-simulate, AGPL: a devDependency only). The role is broad; each grant's
 * session carries its grant id as source identity, as vending sets it.
 */
const ACCOUNT = '123456789012';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/jit/prod-read`;
const NOW = new Date('2026-11-23T10:00:00.000Z');
const ENDED = 'g-01jendedgrant0000000000000';
const LIVE = 'g-01jlivegrant00000000000000';
const TASK = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };

const kill = (grantId: string, endedAt: string): KillRecord => ({
  grantId,
  roleArn: ROLE_ARN,
  sourceIdentity: grantId,
  endedAt,
  until: '2026-11-23T11:00:00.000Z',
});

/** The decision for `grantId`'s session (issued at `issuedAt`) reading one object. */
const decide = async (killPolicy: string, grantId: string, issuedAt = '2026-11-23T09:30:00Z'): Promise<string> => {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/prod-read/someone.${grantId}`,
        action: 's3:GetObject',
        resource: { resource: 'arn:aws:s3:::example-bucket/report.csv', accountId: ACCOUNT },
        contextVariables: {
          'aws:SourceIdentity': grantId,
          'aws:PrincipalTag/jit-grant-id': grantId,
          'aws:TokenIssueTime': issuedAt,
        },
      },
      identityPolicies: [
        {
          name: 'role',
          policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
        },
        { name: 'jit-broker-session-kill', policy: JSON.parse(killPolicy) },
      ],
      sessionPolicy: TASK,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {}
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
};

describe('the kill policy, as IAM would evaluate it', () => {
  it('denies the ended grant’s session and still allows another grant’s session on the same role', async () => {
    const rendered = renderKillPolicy([kill(ENDED, '2026-11-23T09:55:00Z')], NOW, 0);
    if (rendered.kind === 'none') throw new Error('expected a kill policy');
    expect(await decide(rendered.document, ENDED)).toBe('ExplicitlyDenied');
    expect(await decide(rendered.document, LIVE)).toBe('Allowed');
  });

  it('in the role-wide fallback, denies sessions issued before the latest end and allows fresh ones', async () => {
    const rendered = renderKillPolicy([kill(ENDED, '2026-11-23T09:55:00.000Z')], NOW, 10_240);
    expect(rendered.kind).toBe('role-wide');
    if (rendered.kind === 'none') return;
    expect(await decide(rendered.document, LIVE, '2026-11-23T09:30:00Z')).toBe('ExplicitlyDenied');
    expect(await decide(rendered.document, LIVE, '2026-11-23T09:56:00Z')).toBe('Allowed');
  });
});
