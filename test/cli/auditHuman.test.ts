import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../cli/main.js';
import { fakeContext, fakeFetch, jsonResponse } from './cliFakes.js';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('jit audit for people', () => {
  it('shows who denied and their comment, in local time', async () => {
    vi.stubEnv('TZ', 'Europe/Berlin');
    const trail = {
      grantId: 'g-1',
      state: 'DENIED',
      chain: { valid: true, length: 2, head: 'ab'.repeat(32), signedBy: ['local:0123abcd'] },
      events: [
        {
          seq: 1,
          type: 'grant.requested',
          actor: 'alice',
          at: '2026-11-23T11:00:00.000Z',
          toState: 'PENDING',
          details: {},
        },
        {
          seq: 2,
          type: 'grant.denied',
          actor: 'bob',
          at: '2026-11-23T11:05:00.000Z',
          fromState: 'PENDING',
          toState: 'DENIED',
          details: { comment: 'use the read-only role' },
        },
      ],
    };
    const { context, stdout } = fakeContext({ fetch: fakeFetch(() => jsonResponse(200, trail)).fetch });
    expect(await runCli(['audit', 'g-1'], context)).toBe(0);
    expect(stdout()).toContain(
      '#2 23 Nov 2026, 12:05:00 CET (55m ago)  grant.denied  by bob  PENDING → DENIED: use the read-only role'
    );
  });
});
