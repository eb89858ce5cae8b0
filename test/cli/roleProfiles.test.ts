import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GrantView } from '../../cli/api/brokerApi.js';
import { liveGrantIdForRole } from '../../cli/credentials/roleGrant.js';
import { EXIT } from '../../cli/errors.js';
import { runCli } from '../../cli/main.js';
import { jitProfiles, removeProfileBlock, renderBlock } from '../../cli/profile/awsConfigBlock.js';
import {
  brokerError,
  credentialsExpiringIn,
  fakeContext,
  fakeFetch,
  grantView,
  jsonResponse,
  revokedByDave,
  type SentRequest,
} from './cliFakes.js';

const NOW = new Date('2026-11-23T12:00:00Z');
const inHours = (hours: number) => new Date(NOW.getTime() + hours * 3_600_000).toISOString();
const EMULATOR = 'http://127.0.0.1:45999';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A broker that lists `grants` as alice's (newest first), shows each, and says where its emulator is. */
const brokerOf = (grants: GrantView[], about: object = { awsEndpoint: EMULATOR, region: 'us-east-1' }) =>
  fakeFetch((request: SentRequest) => {
    const path = request.url.pathname;
    if (path === '/sandbox') return jsonResponse(200, about);
    if (path === '/grants') return jsonResponse(200, { grants });
    const shown = grants.find((g) => path === `/grants/${g.id}`);
    return shown ? jsonResponse(200, shown) : brokerError(404, 'GRANT_NOT_FOUND', 'no such grant');
  });

const machine = (grants: GrantView[], env: NodeJS.ProcessEnv = {}, about?: object) => {
  const home = mkdtempSync(join(tmpdir(), 'jit-role-profile-'));
  dirs.push(home);
  const configPath = join(home, 'aws-config');
  const { fetch, sent } = brokerOf(grants, about);
  const jit = async (...argv: string[]) => {
    const recorded = fakeContext({
      fetch,
      now: () => NOW,
      env: { HOME: home, AWS_CONFIG_FILE: configPath, JIT_API_URL: 'http://127.0.0.1:8787', JIT_USER: 'alice', ...env },
    });
    const code = await runCli(argv, recorded.context);
    return { code, stdout: recorded.stdout(), stderr: recorded.stderr() };
  };
  return { jit, configPath, sent, config: () => readFileSync(configPath, 'utf8') };
};

describe('the live grant for a role', () => {
  const api = (grants: GrantView[]) => ({ list: async () => ({ grants }) });

  it('is the live grant of that role that lasts longest; ended, expired and other roles do not count', async () => {
    const grants = [
      grantView({ id: 'g-other', roleId: 'prod-admin', expiresAt: inHours(5) }),
      grantView({ id: 'g-short', expiresAt: inHours(1) }),
      grantView({ id: 'g-long', expiresAt: inHours(3) }),
      grantView({ id: 'g-done', state: 'ENDED', expiresAt: inHours(4), endedBy: 'alice', endReason: 'done' }),
      grantView({ id: 'g-late', state: 'ACTIVE', expiresAt: inHours(-1) }),
    ];
    expect(await liveGrantIdForRole(api(grants), 'prod-read', NOW)).toBe('g-long');
  });

  it('is none with exit 3 saying how to request one, or which request still waits', async () => {
    await expect(liveGrantIdForRole(api([]), 'prod-read', NOW)).rejects.toMatchObject({
      exitCode: EXIT.grantClosed,
      message: expect.stringContaining('you have no live grant for prod-read; request one: jit request prod-read'),
    });
    const pending = grantView({ id: 'g-wait', state: 'PENDING' });
    await expect(liveGrantIdForRole(api([pending]), 'prod-read', NOW)).rejects.toThrow(
      'your grant g-wait for prod-read is still PENDING'
    );
  });
});

describe('jit setup-profile ROLE', () => {
  it('writes a stable jit-ROLE profile: creds --role, the Region, and in the sandbox its emulator', async () => {
    const m = machine([grantView({ id: 'g-live', expiresAt: inHours(2) })]);
    const { code, stdout } = await m.jit('setup-profile', 'prod-read', '--region', 'eu-west-1');
    expect(code).toBe(0);
    expect(m.config()).toContain(
      [
        '[profile jit-prod-read]',
        "credential_process = '/opt/jit broker/cli/bin/jit.mjs' creds --role prod-read --format process --api http://127.0.0.1:8787 --as alice",
        'region = eu-west-1',
        `endpoint_url = ${EMULATOR}`,
      ].join('\n')
    );
    expect(stdout).toContain(`Use it: aws --profile jit-prod-read sts get-caller-identity --endpoint-url ${EMULATOR}`);
    const json = JSON.parse((await m.jit('setup-profile', 'prod-read', '--json')).stdout);
    expect(json).toMatchObject({
      profile: 'jit-prod-read',
      grantId: 'g-live',
      region: 'us-east-1',
      endpointUrl: EMULATOR,
    });
  });

  it('writes it with a warning when no grant is live yet', async () => {
    const m = machine([]);
    const { code, stderr } = await m.jit('setup-profile', 'prod-read');
    expect(code).toBe(0);
    expect(stderr).toContain(
      'you have no live grant for prod-read yet: the profile gives credentials once you have one'
    );
    expect(m.config()).toContain('[profile jit-prod-read]');
  });

  it('against AWS always pins the signing profile, so AWS_PROFILE=jit-prod-read cannot make jit sign with itself', async () => {
    const gateway = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
    const m = machine([grantView({ id: 'g-live', expiresAt: inHours(2) })], {
      JIT_API_URL: gateway,
      JIT_USER: undefined,
    });
    expect((await m.jit('setup-profile', 'prod-read')).code).toBe(0);
    expect(m.config()).toContain(
      `creds --role prod-read --format process --api ${gateway} --api-region eu-west-1 --aws-profile default\nregion = eu-west-1`
    );
    expect(m.sent.some((r) => r.url.pathname === '/sandbox')).toBe(false);
    // Run with AWS_PROFILE naming the jit profile itself: refused, nothing rewritten.
    const before = m.config();
    const recursive = await m.jit('setup-profile', 'prod-read', '--profile', 'other', '--aws-profile', 'jit-prod-read');
    expect(recursive.code).toBe(EXIT.usage);
    expect(recursive.stderr).toContain('jit-prod-read is a jit profile: it cannot sign requests to the broker');
    expect(m.config()).toBe(before);
  });

  it('creds --role hands out the live grant credentials, and says how to get a grant when there is none', async () => {
    const m = machine([]);
    const none = await m.jit('creds', '--role', 'prod-read', '--format', 'process');
    expect(none.code).toBe(EXIT.grantClosed);
    expect(none.stderr).toContain('you have no live grant for prod-read; request one');
    expect((await m.jit('creds', 'g-1', '--role', 'prod-read')).code).toBe(EXIT.usage);
  });
});

describe('jit profiles prune', () => {
  it('removes the block of an ended grant and of a vanished launcher, keeps the rest and the user lines', async () => {
    const ended = grantView({ id: 'g-ended', state: 'ENDED', endedBy: 'alice', endReason: 'done' });
    const m = machine([ended, grantView({ id: 'g-live', expiresAt: inHours(2) })]);
    const jit = process.execPath; // a launcher that exists
    const line = (subject: string[]) => [jit, 'creds', ...subject, '--api', 'http://127.0.0.1:8787', '--as', 'alice'];
    const text = [
      '[default]',
      'region = eu-west-1',
      '',
      renderBlock('jit-old', line(['g-ended']), 'grant'),
      '',
      renderBlock('jit-prod-read', line(['--role', 'prod-read']), 'role', [['region', 'eu-west-1']]),
      '',
      renderBlock('jit-live', line(['g-live']), 'grant'),
      '',
      renderBlock('jit-moved', ['/nowhere/jit.mjs', 'creds', 'g-live'], 'grant'),
      '',
    ].join('\n');
    writeFileSync(m.configPath, text);
    const dry = await m.jit('profiles', 'prune', '--dry-run');
    expect(dry.stdout).toContain('jit-old  would remove: grant g-ended was ended by alice: done');
    expect(m.config()).toBe(text);
    const pruned = await m.jit('profiles', 'prune');
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain('jit-moved  removed: /nowhere/jit.mjs is gone');
    expect(jitProfiles(m.config()).map((p) => p.name)).toEqual(['jit-prod-read', 'jit-live']);
    expect(m.config().startsWith('[default]\nregion = eu-west-1\n')).toBe(true);
  });

  it('reads back a quoted credential_process line word for word, and removes only the named block', () => {
    const args = ["/opt/jit's broker/jit.mjs", 'creds', 'g-1'];
    const text = `a = 1\n\n${renderBlock('jit-x', args, 'c')}\n`;
    expect(jitProfiles(text)).toEqual([{ name: 'jit-x', credentialProcess: args }]);
    expect(removeProfileBlock(text, 'jit-x')).toBe('a = 1\n');
    expect(removeProfileBlock(text, 'jit-y')).toBe(text);
  });
});

describe('jit creds --role, run by the AWS CLI for every command', () => {
  /** alice's grants over fakeFetch, changeable between runs; counts the lists and vends it answered. */
  const brokerWith = (initial: GrantView[], clock: { now: Date }) => {
    const state = { grants: initial, lists: 0, vends: 0 };
    const { fetch } = fakeFetch((request: SentRequest) => {
      const path = request.url.pathname;
      if (request.method === 'GET' && path === '/grants') {
        state.lists += 1;
        return jsonResponse(200, { grants: state.grants });
      }
      const grant = state.grants.find((g) => path.startsWith(`/grants/${g.id}`));
      if (grant === undefined) return brokerError(404, 'GRANT_NOT_FOUND', 'no such grant');
      if (request.method === 'GET') return jsonResponse(200, grant);
      if (grant.state !== 'ACTIVE') return brokerError(409, 'GRANT_ENDED', `grant ${grant.id} is ${grant.state}`);
      state.vends += 1;
      return jsonResponse(200, credentialsExpiringIn(3_600_000, clock.now, `ASIA${grant.id.toUpperCase()}`));
    });
    return { state, fetch };
  };

  const setup = (grants: GrantView[]) => {
    const home = mkdtempSync(join(tmpdir(), 'jit-role-creds-'));
    dirs.push(home);
    const clock = { now: NOW };
    const broker = brokerWith(grants, clock);
    const jit = async (...argv: string[]) => {
      const recorded = fakeContext({
        fetch: broker.fetch,
        now: () => clock.now,
        env: { HOME: home, JIT_API_URL: 'http://127.0.0.1:8787', JIT_USER: 'alice' },
      });
      const code = await runCli(argv, recorded.context);
      return { code, stdout: recorded.stdout(), stderr: recorded.stderr() };
    };
    const later = (seconds: number) => {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
    };
    return { jit, broker, later, home };
  };
  const creds = ['creds', '--role', 'prod-read', '--format', 'process'];
  const keyOf = (stdout: string) => JSON.parse(stdout).AccessKeyId as string;

  it('asks the broker nothing for a second command within the re-check bound', async () => {
    const m = setup([grantView({ id: 'g-a', expiresAt: inHours(2) })]);
    expect(keyOf((await m.jit(...creds)).stdout)).toBe('ASIAG-A');
    expect(m.broker.state).toMatchObject({ lists: 1, vends: 1 });
    m.later(20);
    const again = await m.jit(...creds);
    expect(again.code).toBe(0);
    expect(keyOf(again.stdout)).toBe('ASIAG-A');
    expect(m.broker.state).toMatchObject({ lists: 1, vends: 1 });
  });

  it('lists again once the bound has passed, and picks up a grant that lasts longer', async () => {
    const m = setup([grantView({ id: 'g-a', expiresAt: inHours(1) })]);
    await m.jit(...creds);
    m.broker.state.grants = [grantView({ id: 'g-b', expiresAt: inHours(3) }), ...m.broker.state.grants];
    m.later(31);
    expect(keyOf((await m.jit(...creds)).stdout)).toBe('ASIAG-B');
    expect(m.broker.state.lists).toBe(2);
  });

  it('moves on to another live grant when the remembered one has ended', async () => {
    const m = setup([grantView({ id: 'g-a', expiresAt: inHours(3) }), grantView({ id: 'g-b', expiresAt: inHours(2) })]);
    expect(keyOf((await m.jit(...creds)).stdout)).toBe('ASIAG-A');
    m.broker.state.grants = [
      revokedByDave(grantView({ id: 'g-a', expiresAt: inHours(3) })),
      ...m.broker.state.grants.slice(1),
    ];
    m.later(31);
    const next = await m.jit('creds', '--role', 'prod-read', '--format', 'process', '--json');
    expect(next.code).toBe(0);
    expect(JSON.parse(next.stdout)).toMatchObject({ AccessKeyId: 'ASIAG-B', GrantId: 'g-b' });
  });

  it('chooses again at once when the remembered grant ends within the bound (its session dropped, as done does)', async () => {
    const m = setup([grantView({ id: 'g-a', expiresAt: inHours(3) }), grantView({ id: 'g-b', expiresAt: inHours(2) })]);
    await m.jit(...creds);
    const cached = join(m.home, '.cache', 'jit');
    for (const file of readdirSync(cached)) {
      if ('credentials' in JSON.parse(readFileSync(join(cached, file), 'utf8'))) rmSync(join(cached, file));
    }
    m.broker.state.grants = [
      revokedByDave(grantView({ id: 'g-a', expiresAt: inHours(3) })),
      ...m.broker.state.grants.slice(1),
    ];
    m.later(5);
    const next = await m.jit(...creds);
    expect(next.code, next.stderr).toBe(0);
    expect(keyOf(next.stdout)).toBe('ASIAG-B');
    expect(m.broker.state.lists).toBe(2);
  });

  it('says who ended the remembered grant and why when no other grant is live', async () => {
    const m = setup([grantView({ id: 'g-a', expiresAt: inHours(3) })]);
    await m.jit(...creds);
    m.broker.state.grants = [revokedByDave(grantView({ id: 'g-a', expiresAt: inHours(3) }))];
    m.later(31);
    const ended = await m.jit(...creds);
    expect(ended.code).toBe(EXIT.grantClosed);
    expect(ended.stdout).toBe('');
    expect(ended.stderr).toContain(
      'grant g-a was revoked by dave: incident 42; you have no other live grant for prod-read; request one'
    );
  });
});
