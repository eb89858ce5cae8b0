import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GrantView, VendedCredentials } from '../../cli/api/brokerApi.js';
import { cacheDirectory } from '../../cli/cacheDirectory.js';
import { cacheKey, fileCredentialCache } from '../../cli/credentials/credentialCache.js';
import { credentialSource } from '../../cli/credentials/credentialSource.js';
import { recheckBoundMs } from '../../cli/credentials/grantLiveness.js';
import { ApiError, BrokerUnreachableError, type CliError, EXIT, UsageError } from '../../cli/errors.js';
import { credentialsExpiringIn, grantView, revokedByDave } from './cliFakes.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const BOUND = 30 * SECOND;
const directories: string[] = [];
const freshDirectory = () => {
  const dir = mkdtempSync(join(tmpdir(), 'jit-cache-test-'));
  directories.push(dir);
  return join(dir, 'jit');
};
afterEach(() => {
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A clock the test moves, and a broker that vends a new 1-hour session on every call while the
 * grant is live and shows the grant on GET. `broker.grant` and `broker.reachable` change it.
 */
const setup = (options: { recheckAfterMs?: number } = {}) => {
  let now = new Date('2026-11-23T12:00:00Z');
  const broker = { grant: grantView(), reachable: true, vends: 0, gets: 0 };
  const unreachable = () =>
    new BrokerUnreachableError('cannot reach the broker at http://127.0.0.1:8787 (ECONNREFUSED)');
  const api = {
    vend: async (): Promise<VendedCredentials> => {
      if (!broker.reachable) throw unreachable();
      if (broker.grant.state !== 'ACTIVE')
        throw new ApiError(409, 'GRANT_ENDED', `grant g-1 is ${broker.grant.state}; request access again`);
      broker.vends += 1;
      return credentialsExpiringIn(60 * MINUTE, now, `ASIA${broker.vends}`);
    },
    show: async (): Promise<GrantView> => {
      if (!broker.reachable) throw unreachable();
      broker.gets += 1;
      return broker.grant;
    },
  };
  const directory = freshDirectory();
  const cache = fileCredentialCache(directory);
  const source = credentialSource('g-1', {
    api,
    cache,
    cacheKey: 'key-1',
    now: () => now,
    recheckAfterMs: options.recheckAfterMs ?? BOUND,
  });
  return {
    source,
    broker,
    cache,
    directory,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
  };
};

/** The error `promise` fails with; the test fails if it succeeds. */
const rejection = (promise: Promise<unknown>): Promise<CliError> =>
  promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as CliError
  );

describe('the credential cache behind credential_process', () => {
  it('keeps credentials in a 0600 file inside a 0700 directory', async () => {
    const { source, directory } = setup();
    await source.current();
    expect(statSync(directory).mode & 0o777).toBe(0o700);
    const files = readdirSync(directory);
    expect(files).toEqual(['key-1.json']);
    expect(statSync(join(directory, files[0]!)).mode & 0o777).toBe(0o600);
  });

  it('serves the cached session until 10 minutes before expiry, then vends again', async () => {
    const { source, broker, advance } = setup();
    expect((await source.current()).AccessKeyId).toBe('ASIA1');
    advance(49 * MINUTE); // 11 minutes left
    expect((await source.current()).AccessKeyId).toBe('ASIA1');
    expect(broker.vends).toBe(1);
    advance(2 * MINUTE); // 9 minutes left: inside the margin
    expect((await source.current()).AccessKeyId).toBe('ASIA2');
    expect(broker.vends).toBe(2);
  });

  it('asks the broker nothing within the bound, and re-checks the grant (one GET) once it has passed', async () => {
    const { source, broker, advance } = setup();
    await source.current();
    advance(BOUND - 1);
    await source.current();
    expect(broker.gets).toBe(0);
    advance(1); // the vend's word is now exactly 30 s old
    await source.current();
    expect(broker.gets).toBe(1);
    advance(BOUND - 1); // counted from the re-check, which the cache file remembers
    await source.current();
    expect(broker.gets).toBe(1);
    expect(broker.vends).toBe(1);
  });

  it('with a bound of 0 re-checks on every call', async () => {
    const { source, broker } = setup({ recheckAfterMs: 0 });
    await source.current();
    await source.current();
    await source.current();
    expect(broker).toMatchObject({ vends: 1, gets: 2 });
  });

  it('after a revoke hands out the old session for less than the bound, then fails with who and why (exit 3) and forgets it', async () => {
    const { source, broker, cache, advance } = setup();
    await source.current();
    advance(10 * SECOND);
    broker.grant = revokedByDave(broker.grant);
    advance(BOUND - 10 * SECOND - 1); // not yet 30 s since the broker last said "live"
    expect((await source.current()).AccessKeyId).toBe('ASIA1');
    advance(1);
    const failure = await rejection(source.current());
    expect(failure.exitCode).toBe(EXIT.grantClosed);
    expect(failure.message).toBe('grant g-1 was revoked by dave: incident 42');
    expect(cache.read('key-1')).toBeUndefined();
    // Final for this process: the same answer, without asking again.
    const gets = broker.gets;
    expect((await rejection(source.current())).message).toBe(failure.message);
    expect(broker.gets).toBe(gets);
  });

  it.each([
    ['ENDED', { endedBy: 'alice', endReason: 'done' }, 'grant g-1 was ended by alice: done'],
    ['EXPIRED', { endedBy: 'system', endReason: 'expired' }, 'grant g-1 expired at 2026-11-23T13:05:00.000Z'],
    ['DENIED', { endedBy: 'bob' }, 'grant g-1 was denied by bob'],
    ['CANCELLED', {}, 'grant g-1 was cancelled'],
  ] as const)('treats %s as ended', async (state, extra, message) => {
    const { source, broker, cache, advance } = setup();
    await source.current();
    broker.grant = { ...broker.grant, state, endedAt: '2026-11-23T12:00:10.000Z', ...extra };
    advance(BOUND);
    const failure = await rejection(source.current());
    expect([failure.exitCode, failure.message]).toEqual([EXIT.grantClosed, message]);
    expect(cache.read('key-1')).toBeUndefined();
  });

  it("treats a live state past its expiry as ended: the broker's expiry schedule may not have fired yet", async () => {
    const { source, broker, advance } = setup();
    broker.grant = { ...broker.grant, expiresAt: '2026-11-23T12:20:00.000Z' };
    await source.current();
    advance(21 * MINUTE);
    const failure = await rejection(source.current());
    expect([failure.exitCode, failure.message]).toEqual([
      EXIT.grantClosed,
      'grant g-1 expired at 2026-11-23T12:20:00.000Z',
    ]);
  });

  it('says who ended the grant when the broker refuses to vend', async () => {
    const { source, broker } = setup();
    broker.grant = revokedByDave(broker.grant);
    const failure = await rejection(source.current());
    expect([failure.exitCode, failure.message]).toEqual([
      EXIT.grantClosed,
      'grant g-1 was revoked by dave: incident 42',
    ]);
  });

  it('keeps terminal escapes in a stored reason off the terminal', async () => {
    const { source, broker } = setup();
    broker.grant = { ...revokedByDave(broker.grant), endReason: 'incident\u001b[2J 42\nsecond line' };
    expect((await rejection(source.current())).message).toBe(
      'grant g-1 was revoked by dave: incident [2J 42 second line'
    );
  });

  it('fails closed when the broker cannot be asked past the bound (exit 4), keeps the cache, and serves again once it answers', async () => {
    const { source, broker, cache, advance } = setup();
    const first = await source.current();
    broker.reachable = false;
    advance(BOUND - 1);
    expect(await source.current()).toEqual(first); // within the bound: no need to ask
    advance(1);
    const failure = await rejection(source.current());
    expect(failure.exitCode).toBe(EXIT.unreachable);
    expect(failure.message).toContain('cannot confirm that grant g-1 is still live, so no credentials are handed out');
    expect(failure.message).toContain('ECONNREFUSED');
    expect(failure.message).not.toContain(first.SecretAccessKey);
    expect(cache.read('key-1')?.credentials).toEqual(first);
    broker.reachable = true;
    expect(await source.current()).toEqual(first);
    expect(broker).toMatchObject({ vends: 1, gets: 1 });
  });

  it('re-checks when the clock went back (a stamp from the future is not trusted)', async () => {
    const { source, broker, advance } = setup();
    await source.current();
    advance(-5 * SECOND);
    await source.current();
    expect(broker.gets).toBe(1);
  });

  it('shares one vend between concurrent callers', async () => {
    const { source, broker } = setup();
    const both = await Promise.all([source.current(), source.current()]);
    expect(both[0]).toEqual(both[1]);
    expect(broker.vends).toBe(1);
  });

  it('ignores a damaged cache file, or one without the time the grant was seen live, and vends again', async () => {
    const { source, cache, broker, directory } = setup();
    cache.write('key-1', { Version: 1 } as never);
    expect((await source.current()).AccessKeyId).toBe('ASIA1');
    // An entry as an older jit wrote it: the bare credentials, never checked.
    writeFileSync(join(directory, 'key-1.json'), JSON.stringify(credentialsExpiringIn(50 * MINUTE, new Date())));
    expect((await source.current()).AccessKeyId).toBe('ASIA2');
    expect(broker.vends).toBe(2);
  });

  it('keys entries by API, grant and caller, and lives under XDG_CACHE_HOME or ~/.cache', () => {
    const api = new URL('http://127.0.0.1:8787');
    const keys = new Set([
      cacheKey(api, 'g-1', 'user:alice'),
      cacheKey(api, 'g-1', 'user:bob'),
      cacheKey(api, 'g-2', 'user:alice'),
      cacheKey(new URL('http://127.0.0.1:9999'), 'g-1', 'user:alice'),
    ]);
    expect(keys.size).toBe(4);
    expect(cacheDirectory({ XDG_CACHE_HOME: '/xdg-cache', HOME: '/home/ann' })).toBe('/xdg-cache/jit');
    expect(cacheDirectory({ HOME: '/home/ann' })).toBe('/home/ann/.cache/jit');
  });

  it('takes the bound from JIT_RECHECK_SECONDS: 30 s by default, lower on request, never higher', () => {
    expect(recheckBoundMs({})).toBe(30_000);
    expect(recheckBoundMs({ JIT_RECHECK_SECONDS: '2' })).toBe(2000);
    expect(recheckBoundMs({ JIT_RECHECK_SECONDS: '0.5' })).toBe(500);
    expect(recheckBoundMs({ JIT_RECHECK_SECONDS: '0' })).toBe(0);
    for (const bad of ['31', '-1', 'ten', '1e3']) {
      expect(() => recheckBoundMs({ JIT_RECHECK_SECONDS: bad })).toThrow(UsageError);
    }
  });
});
