import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { fakeContext, fakeFetch, jsonResponse } from './cliFakes.js';

/** A pending prod-admin grant as the broker answers it; `flag` sets `mayOutliveKill`. */
const pendingGrant = (id: string, flag?: string[]) => ({
  id,
  state: 'PENDING',
  roleId: 'prod-admin',
  roleArn: 'arn:aws:iam::123456789012:role/jit/prod-admin',
  requester: 'alice',
  durationSeconds: 900,
  reason: 'rotate the deploy role trust',
  ticket: 'INC-3',
  scope: { actions: flag ?? ['*'], resources: ['*'] },
  requiredApprovals: 3,
  approvers: ['group:sre', 'group:security'],
  approvals: [],
  pendingUntil: '2026-11-23T13:00:00.000Z',
  ...(flag === undefined ? {} : { mayOutliveKill: flag }),
});

/** Runs `jit <argv>` as bob against a broker that answers `body` to every request. */
const run = async (body: unknown, ...argv: string[]) => {
  const { fetch } = fakeFetch(() => jsonResponse(200, body));
  const recorded = fakeContext({
    fetch,
    env: { HOME: '/nonexistent-home', JIT_API_URL: 'http://127.0.0.1:8787', JIT_USER: 'bob' },
  });
  const code = await runCli(argv, recorded.context);
  return { code, stdout: recorded.stdout() };
};

describe('grants that may outlive the kill, as an approver sees them', () => {
  const flagged = pendingGrant('g-2', ['sts:AssumeRole', 'iam:PassRole']);

  it('jit inbox puts a line under the table for each flagged grant only', async () => {
    const { code, stdout } = await run({ grants: [pendingGrant('g-1'), flagged] }, 'inbox');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toMatch(/^ID\s+STATE/);
    expect(lines.slice(1, 3).map((l) => l.split(/\s+/)[0])).toEqual(['g-1', 'g-2']);
    expect(lines.slice(3)).toEqual([
      '! g-2 may outlive the kill: it names sts:AssumeRole, iam:PassRole, which a session can use to keep access ' +
        'after the grant ends (docs/vending.md)',
    ]);
  });

  it('jit show says so beside the scope', async () => {
    const { stdout } = await run(flagged, 'show', 'g-2');
    expect(stdout).toContain('\nwarning    may outlive the kill: it names sts:AssumeRole, iam:PassRole,');
    expect((await run(pendingGrant('g-1'), 'show', 'g-1')).stdout).not.toContain('may outlive the kill');
  });

  it('--json carries mayOutliveKill for scripts', async () => {
    const { stdout } = await run({ grants: [flagged] }, 'inbox', '--json');
    expect(JSON.parse(stdout).grants[0].mayOutliveKill).toEqual(['sts:AssumeRole', 'iam:PassRole']);
  });
});
