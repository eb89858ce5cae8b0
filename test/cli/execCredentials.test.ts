import { devNull } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, BrokerUnreachableError, GrantClosedError } from '../../cli/errors.js';
import { defaultProfile, refreshingEnvironment, staticEnvironment } from '../../cli/exec/childEnvironment.js';
import { type CredentialServer, startCredentialServer } from '../../cli/exec/credentialServer.js';
import { watchGrant } from '../../cli/exec/grantWatch.js';
import { credentialsExpiringIn } from './cliFakes.js';

const PARENT = {
  PATH: '/usr/bin',
  AWS_ACCESS_KEY_ID: 'AKIAPARENT',
  AWS_SECRET_ACCESS_KEY: 'parent-secret',
  AWS_PROFILE: 'admin',
  AWS_REGION: 'eu-west-1',
};
const SERVER = { url: 'http://127.0.0.1:4000/credentials', token: 'tok' };

describe("jit exec: the child's environment", () => {
  it('points the SDKs at the loopback endpoint and hides every competing credential source', () => {
    const { env, note } = refreshingEnvironment(PARENT, 'g-1', SERVER, '[default]\nregion = eu-west-1\n');
    expect(env).toEqual({
      PATH: '/usr/bin',
      AWS_REGION: 'eu-west-1',
      JIT_GRANT_ID: 'g-1',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: SERVER.url,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'tok',
      AWS_SHARED_CREDENTIALS_FILE: devNull,
    });
    expect(note).toBeUndefined();
  });

  it("hides the config file when its [default] profile has credentials, keeping that profile's region", () => {
    const config = '[profile other]\nregion = us-east-2\n[default]\nsso_session = corp\nregion = ap-south-1\n';
    expect(defaultProfile(config)).toEqual(
      new Map([
        ['sso_session', 'corp'],
        ['region', 'ap-south-1'],
      ])
    );
    const { env, note } = refreshingEnvironment({ PATH: '/usr/bin' }, 'g-1', SERVER, config);
    expect(env.AWS_CONFIG_FILE).toBe(devNull);
    expect(env.AWS_REGION).toBe('ap-south-1');
    expect(note).toContain('[default] profile has its own credentials');
  });

  it('puts fixed credentials in the variables with --static', () => {
    const credentials = credentialsExpiringIn(3_600_000, new Date('2026-11-23T12:00:00Z'), 'ASIASTATIC');
    const env = staticEnvironment(PARENT, 'g-1', credentials);
    expect(env).toMatchObject({
      AWS_ACCESS_KEY_ID: 'ASIASTATIC',
      AWS_SESSION_TOKEN: 'token-of-ASIASTATIC',
      AWS_CREDENTIAL_EXPIRATION: credentials.Expiration,
    });
    expect(env.AWS_PROFILE).toBeUndefined();
  });
});

describe('jit exec: the loopback credential endpoint', () => {
  let server: CredentialServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('answers only GETs carrying its token, with fresh credentials on every call', async () => {
    let calls = 0;
    server = await startCredentialServer(async () => {
      calls += 1;
      return credentialsExpiringIn(900_000, new Date('2026-11-23T12:00:00Z'), `ASIA${calls}`);
    });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/credentials$/);
    expect(server.token).toMatch(/^[0-9a-f]{64}$/);

    expect((await fetch(server.url)).status).toBe(401);
    expect((await fetch(server.url, { headers: { authorization: 'wrong' } })).status).toBe(401);
    const first = await (await fetch(server.url, { headers: { authorization: server.token } })).json();
    const second = (await (await fetch(server.url, { headers: { authorization: server.token } })).json()) as {
      AccessKeyId: string;
    };
    expect(first).toEqual({
      AccessKeyId: 'ASIA1',
      SecretAccessKey: 'secret-of-ASIA1',
      Token: 'token-of-ASIA1',
      Expiration: '2026-11-23T12:15:00.000Z',
    });
    expect(second.AccessKeyId).toBe('ASIA2');
  });

  it("answers in the container endpoint's error shape: 403 once the grant has ended, 503 when it cannot tell", async () => {
    const failures: Error[] = [];
    let failure: Error = new GrantClosedError('grant g-1 was revoked by dave: incident 42');
    server = await startCredentialServer(
      async () => {
        throw failure;
      },
      (e) => failures.push(e)
    );
    const ask = () => fetch(server!.url, { headers: { authorization: server!.token } });
    const ended = await ask();
    expect(ended.status).toBe(403);
    expect(await ended.json()).toEqual({
      Code: 'GrantEnded',
      Message: 'jit: grant g-1 was revoked by dave: incident 42',
    });

    failure = new ApiError(409, 'GRANT_ENDED', 'grant g-1 is ENDED');
    expect((await ask()).status).toBe(403);

    failure = new BrokerUnreachableError('cannot reach the broker at http://127.0.0.1:8787 (ECONNREFUSED)');
    const offline = await ask();
    expect(offline.status).toBe(503);
    expect(await offline.json()).toEqual({
      Code: 'CredentialsUnavailable',
      Message: 'jit: cannot reach the broker at http://127.0.0.1:8787 (ECONNREFUSED)',
    });
    expect(failures).toHaveLength(3);
  });
});

describe('jit exec: the grant watch', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A watch over checks that answer from `script` in turn (undefined: live), on fake timers. */
  const watching = (script: (Error | undefined)[]) => {
    vi.useFakeTimers();
    const said: string[] = [];
    let checks = 0;
    const watch = watchGrant({
      check: async () => {
        const answer = script[Math.min(checks, script.length - 1)];
        checks += 1;
        if (answer !== undefined) throw answer;
      },
      intervalMs: 30_000,
      onEnd: (e) => said.push(`end: ${e.message}`),
      onTrouble: (e) => said.push(`trouble: ${e.message}`),
      onRecovered: () => said.push('recovered'),
    });
    return { watch, said, checks: () => checks };
  };

  it('looks once per interval and stops at the end, saying who ended it once', async () => {
    const ended = new GrantClosedError('grant g-1 was revoked by dave: incident 42');
    const { said, checks } = watching([undefined, undefined, ended]);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(checks()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(checks()).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(checks()).toBe(3);
    await vi.advanceTimersByTimeAsync(300_000);
    expect(checks()).toBe(3);
    expect(said).toEqual(['end: grant g-1 was revoked by dave: incident 42']);
  });

  it('reports an unreachable broker once per outage, and its return; never calls that an end', async () => {
    const offline = new BrokerUnreachableError('cannot reach the broker');
    const { said, checks } = watching([offline, offline, offline, undefined]);
    await vi.advanceTimersByTimeAsync(5 * 30_000);
    expect(checks()).toBe(5);
    expect(said).toEqual(['trouble: cannot reach the broker', 'recovered']);
  });

  it('stops looking when stopped', async () => {
    const { watch, checks } = watching([undefined]);
    watch.stop();
    await vi.advanceTimersByTimeAsync(300_000);
    expect(checks()).toBe(0);
  });
});
