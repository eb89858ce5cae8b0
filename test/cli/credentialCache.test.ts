import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { VendedCredentials } from '../../cli/api/brokerApi.js';
import { cacheDirectory, cacheKey, fileCredentialCache } from '../../cli/credentials/credentialCache.js';
import { credentialSource } from '../../cli/credentials/credentialSource.js';
import { ApiError, BrokerUnreachableError, EXIT } from '../../cli/errors.js';
import { credentialsExpiringIn } from './cliFakes.js';

const MINUTE = 60_000;
const directories: string[] = [];
const freshDirectory = () => {
  const dir = mkdtempSync(join(tmpdir(), 'jit-cache-test-'));
  directories.push(dir);
  return join(dir, 'jit');
};
afterEach(() => {
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A clock the test moves, and a broker that vends a new 1-hour session on every call. */
const setup = (vend?: () => Promise<VendedCredentials>) => {
  let now = new Date('2026-11-23T12:00:00Z');
  let vends = 0;
  const api = {
    vend:
      vend ??
      (async () => {
        vends += 1;
        return credentialsExpiringIn(60 * MINUTE, now, `ASIA${vends}`);
      }),
  };
  const directory = freshDirectory();
  const cache = fileCredentialCache(directory);
  const warnings: string[] = [];
  const source = credentialSource('g-1', {
    api,
    cache,
    cacheKey: 'key-1',
    now: () => now,
    warn: (m) => warnings.push(m),
  });
  return {
    source,
    cache,
    directory,
    warnings,
    vends: () => vends,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
  };
};

describe('the credential cache behind credential_process', () => {
  it('keeps credentials in a 0600 file inside a 0700 directory', async () => {
    const { source, directory } = setup();
    await source();
    expect(statSync(directory).mode & 0o777).toBe(0o700);
    const files = readdirSync(directory);
    expect(files).toEqual(['key-1.json']);
    expect(statSync(join(directory, files[0]!)).mode & 0o777).toBe(0o600);
  });

  it('serves the cached session until 10 minutes before expiry, then vends again', async () => {
    const { source, vends, advance } = setup();
    expect((await source()).AccessKeyId).toBe('ASIA1');
    advance(49 * MINUTE); // 11 minutes left
    expect((await source()).AccessKeyId).toBe('ASIA1');
    expect(vends()).toBe(1);
    advance(2 * MINUTE); // 9 minutes left: inside the margin
    expect((await source()).AccessKeyId).toBe('ASIA2');
    expect(vends()).toBe(2);
  });

  it('shares one vend between concurrent callers', async () => {
    const { source, vends } = setup();
    const both = await Promise.all([source(), source()]);
    expect(both[0]).toEqual(both[1]);
    expect(vends()).toBe(1);
  });

  it('forgets the cache and fails with exit 3 once the grant has ended', async () => {
    let ended = false;
    const t = setup(async () => {
      if (ended)
        throw new ApiError(409, 'GRANT_ENDED', 'grant g-1 is ENDED; request access again if you still need it');
      return credentialsExpiringIn(15 * MINUTE, new Date('2026-11-23T12:00:00Z'));
    });
    await t.source();
    ended = true;
    t.advance(6 * MINUTE);
    const failure = await t.source().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApiError);
    expect((failure as ApiError).exitCode).toBe(EXIT.grantClosed);
    expect(t.cache.read('key-1')).toBeUndefined();
  });

  it('falls back to still-valid cached credentials when the broker is unreachable, and says so without secrets', async () => {
    let reachable = true;
    const t = setup(async () => {
      if (!reachable) throw new BrokerUnreachableError('cannot reach the broker');
      return credentialsExpiringIn(15 * MINUTE, new Date('2026-11-23T12:00:00Z'));
    });
    const first = await t.source();
    reachable = false;
    t.advance(6 * MINUTE);
    expect(await t.source()).toEqual(first);
    expect(t.warnings.join()).toContain('using cached credentials valid until');
    expect(t.warnings.join()).not.toContain(first.SecretAccessKey);
    t.advance(8.5 * MINUTE); // 30 s left: too little to hand out
    await expect(t.source()).rejects.toBeInstanceOf(BrokerUnreachableError);
  });

  it('ignores a damaged cache file and vends again', async () => {
    const { source, cache, vends } = setup();
    cache.write('key-1', { Version: 1 } as unknown as VendedCredentials);
    expect((await source()).AccessKeyId).toBe('ASIA1');
    expect(vends()).toBe(1);
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
});
