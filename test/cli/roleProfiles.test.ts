import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GrantView } from '../../cli/api/brokerApi.js';
import { liveGrantIdForRole } from '../../cli/credentials/roleGrant.js';
import { EXIT } from '../../cli/errors.js';
import { runCli } from '../../cli/main.js';
import { jitProfiles, removeProfileBlock, renderBlock } from '../../cli/profile/awsConfigBlock.js';
import { brokerError, fakeContext, fakeFetch, grantView, jsonResponse, type SentRequest } from './cliFakes.js';

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
