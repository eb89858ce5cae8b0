import { describe, expect, it } from 'vitest';
import { ApiError, BrokerUnreachableError, EXIT, exitCodeFor, UsageError } from '../../cli/errors.js';
import { runCli } from '../../cli/main.js';
import { ValidationError } from '../../functions/domain/errors.js';
import { brokerError, fakeContext, fakeFetch } from './cliFakes.js';

/** Runs `jit <argv>` against a broker that answers every request with `answer`. */
const runAgainst = async (answer: () => Response, ...argv: string[]) => {
  const { fetch } = fakeFetch(answer);
  const recorded = fakeContext({ fetch });
  const code = await runCli(argv, recorded.context);
  return { code, stderr: recorded.stderr(), stdout: recorded.stdout() };
};

describe('exit codes', () => {
  it('maps every error kind in one place', () => {
    expect(exitCodeFor(new UsageError('x'))).toBe(EXIT.usage);
    expect(exitCodeFor(new ValidationError('INVALID_DURATION', 'x'))).toBe(EXIT.usage);
    expect(exitCodeFor(new ApiError(404, 'GRANT_NOT_FOUND', 'x'))).toBe(EXIT.refused);
    expect(exitCodeFor(new ApiError(403, 'SELF_APPROVAL', 'x'))).toBe(EXIT.refused);
    expect(exitCodeFor(new ApiError(409, 'GRANT_ENDED', 'x'))).toBe(EXIT.grantClosed);
    expect(exitCodeFor(new ApiError(409, 'GRANT_EXPIRED', 'x'))).toBe(EXIT.grantClosed);
    expect(exitCodeFor(new ApiError(503, 'AWS_UNAVAILABLE', 'x'))).toBe(EXIT.brokerFailed);
    expect(exitCodeFor(new BrokerUnreachableError('x'))).toBe(EXIT.unreachable);
    expect(exitCodeFor(new Error('bug'))).toBe(EXIT.unexpected);
  });

  it('says which grant is missing and where to look (exit 2)', async () => {
    const { code, stderr } = await runAgainst(
      () => brokerError(404, 'GRANT_NOT_FOUND', 'no grant g-9 that you can see'),
      'show',
      'g-9'
    );
    expect(code).toBe(2);
    expect(stderr).toBe(
      'jit: no grant g-9 that you can see (see your grants with `jit list`, the ones you may approve with `jit inbox`) [404 GRANT_NOT_FOUND]'
    );
  });

  it("passes the broker's 401/403 message through (exit 2)", async () => {
    const { code, stderr } = await runAgainst(
      () => brokerError(403, 'SELF_APPROVAL', 'you requested grant g-1, so you cannot approve it'),
      'approve',
      'g-1'
    );
    expect(code).toBe(2);
    expect(stderr).toContain('you requested grant g-1, so you cannot approve it [403 SELF_APPROVAL]');
  });

  it('exits 3 with a clear line and nothing on stdout when credentials are asked of an ended grant', async () => {
    const ended = () =>
      brokerError(409, 'GRANT_ENDED', 'grant g-1 is ENDED; request access again if you still need it');
    const { code, stderr, stdout } = await runAgainst(ended, 'creds', 'g-1', '--format', 'process');
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toContain('grant g-1 is ENDED');
  });

  it('exits 5 when something that is not the broker answers', async () => {
    const { code, stderr } = await runAgainst(
      () => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }),
      'list'
    );
    expect(code).toBe(5);
    expect(stderr).toContain('the broker answered 502 Bad Gateway: <html>Bad gateway</html> — is --api the broker');
  });

  it('exits 4 and suggests starting the broker when the connection is refused', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    const recorded = fakeContext({
      fetch: (async () => {
        throw refused;
      }) as typeof fetch,
    });
    expect(await runCli(['list'], recorded.context)).toBe(4);
    expect(recorded.stderr()).toBe(
      'jit: cannot reach the broker at http://127.0.0.1:8787 (ECONNREFUSED): is the sandbox running? Start it with `npm start`, or check --api / JIT_API_URL'
    );
  });

  it('exits 1 for a duration it cannot read, before calling the broker', async () => {
    const { fetch, sent } = fakeFetch(() => brokerError(500, 'X', 'x'));
    const recorded = fakeContext({ fetch });
    const argv = [
      'request',
      'prod-read',
      '--action',
      's3:GetObject',
      '--resource',
      '*',
      '--for',
      'half an hour',
      '--reason',
      'debug the export job',
    ];
    expect(await runCli(argv, recorded.context)).toBe(1);
    expect(recorded.stderr()).toContain("'half an hour' is not a duration; write it like 30m, 2h or 1h30m");
    expect(sent).toEqual([]);
  });
});
