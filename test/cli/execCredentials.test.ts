import { devNull } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from '../../cli/errors.js';
import { defaultProfile, refreshingEnvironment, staticEnvironment } from '../../cli/exec/childEnvironment.js';
import { type CredentialServer, startCredentialServer } from '../../cli/exec/credentialServer.js';
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

  it('answers 403 with the reason once the grant has ended', async () => {
    const failures: Error[] = [];
    server = await startCredentialServer(
      async () => {
        throw new ApiError(409, 'GRANT_ENDED', 'grant g-1 is ENDED');
      },
      (e) => failures.push(e)
    );
    const response = await fetch(server.url, { headers: { authorization: server.token } });
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'jit: grant g-1 is ENDED' });
    expect(failures).toHaveLength(1);
  });
});
