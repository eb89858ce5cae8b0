import { describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/errors.js';
import { runCli } from '../../cli/main.js';
import { brokerError, fakeContext, fakeFetch } from './cliFakes.js';

const answering = (status: number, message: string) =>
  fakeContext({ fetch: fakeFetch(() => brokerError(status, 'ILLEGAL_TRANSITION', message)).fetch });

describe('jit done on a grant that is already over', () => {
  it('is a note and exit 0: a second done, or done after expiry, revoke or cancel', async () => {
    const { context, stdout, stderr } = answering(409, 'grant g-1 is ENDED and cannot finish: it has ended');
    expect(await runCli(['done', 'g-1'], context)).toBe(0);
    expect(stdout()).toBe('');
    expect(stderr()).toBe('note: nothing to end: grant g-1 is ENDED and cannot finish: it has ended');
  });

  it('says so in JSON with --json', async () => {
    const { context, stdout } = answering(409, 'grant g-1 is REVOKED and cannot finish: it has ended');
    expect(await runCli(['done', 'g-1', '--json'], context)).toBe(0);
    expect(JSON.parse(stdout())).toEqual({
      grantId: 'g-1',
      alreadyOver: true,
      message: 'grant g-1 is REVOKED and cannot finish: it has ended',
    });
  });

  it('still fails for a grant that is not over (APPROVED, never used) and for another refusal', async () => {
    const early = answering(409, 'grant g-1 is APPROVED and cannot finish: from APPROVED it can only …');
    expect(await runCli(['done', 'g-1'], early.context)).toBe(EXIT.refused);
    const missing = fakeContext({ fetch: fakeFetch(() => brokerError(404, 'GRANT_NOT_FOUND', 'no grant g-1')).fetch });
    expect(await runCli(['done', 'g-1'], missing.context)).toBe(EXIT.refused);
  });
});
