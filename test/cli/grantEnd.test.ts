import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GrantView } from '../../cli/api/brokerApi.js';
import type { CliContext } from '../../cli/context.js';
import { runCli } from '../../cli/main.js';
import { fakeBroker, fakeContext, grantView, revokedByDave } from './cliFakes.js';

/** The client honours the end: `jit creds`, `setup-profile` and `jit exec` against a fake broker. */

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

/** alice's jit with its own cache and AWS config, a broker for one grant, and a clock the test moves. */
const machine = (options: { grant?: GrantView; env?: NodeJS.ProcessEnv; realClock?: boolean } = {}) => {
  const home = mkdtempSync(join(tmpdir(), 'jit-end-test-'));
  homes.push(home);
  let now = new Date('2026-11-23T12:00:00Z');
  const clock = options.realClock ? () => new Date() : () => now;
  const twoHoursOn = new Date(clock().getTime() + 2 * 3_600_000).toISOString();
  const broker = fakeBroker({ now: clock, grant: options.grant ?? grantView({ expiresAt: twoHoursOn }) });
  const env = {
    HOME: home,
    XDG_CACHE_HOME: join(home, 'cache'),
    AWS_CONFIG_FILE: join(home, 'aws-config'),
    JIT_API_URL: 'http://127.0.0.1:8787',
    JIT_USER: 'alice',
    PATH: process.env.PATH,
    ...options.env,
  };
  const jit = async (...argv: string[]) => {
    const recorded = fakeContext({ fetch: broker.fetch, env, now: clock } as Partial<CliContext>);
    const code = await runCli(argv, recorded.context);
    return { code, stdout: recorded.stdout(), stderr: recorded.stderr() };
  };
  return {
    home,
    broker,
    jit,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
  };
};

describe('jit creds honours the end of its grant', () => {
  it('after a revoke by dave: the old keys for less than 30 s, then exit 3 with who and why, and nothing on stdout', async () => {
    const m = machine();
    const first = await m.jit('creds', 'g-1', '--format', 'process');
    expect(first.code).toBe(0);
    const keys = JSON.parse(first.stdout) as { AccessKeyId: string };

    m.broker.state.grant = revokedByDave(m.broker.state.grant);
    m.advance(29_999);
    const stillCached = await m.jit('creds', 'g-1', '--format', 'process');
    expect(stillCached.code).toBe(0);
    expect(JSON.parse(stillCached.stdout).AccessKeyId).toBe(keys.AccessKeyId);
    expect(m.broker.state.gets).toBe(0);

    m.advance(1);
    const refused = await m.jit('creds', 'g-1', '--format', 'process');
    expect(refused).toEqual({ code: 3, stdout: '', stderr: 'jit: grant g-1 was revoked by dave: incident 42' });
    expect(m.broker.state.gets).toBe(1);
    expect(m.broker.state.vends).toBe(1);
  });

  it('honours a lower JIT_RECHECK_SECONDS and refuses one above the default (exit 1)', async () => {
    const strict = machine({ env: { JIT_RECHECK_SECONDS: '2' } });
    expect((await strict.jit('creds', 'g-1')).code).toBe(0);
    strict.broker.state.grant = revokedByDave(strict.broker.state.grant);
    strict.advance(2000);
    expect((await strict.jit('creds', 'g-1')).code).toBe(3);

    const loose = machine({ env: { JIT_RECHECK_SECONDS: '600' } });
    const refused = await loose.jit('creds', 'g-1');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe("jit: JIT_RECHECK_SECONDS must be a number of seconds from 0 to 30 (got '600')");
  });

  it('exits 4 rather than serve unchecked credentials when the broker cannot be reached past the bound', async () => {
    const m = machine();
    expect((await m.jit('creds', 'g-1', '--format', 'process')).code).toBe(0);
    m.broker.state.reachable = false;
    m.advance(30_000);
    const offline = await m.jit('creds', 'g-1', '--format', 'process');
    expect(offline.code).toBe(4);
    expect(offline.stdout).toBe('');
    expect(offline.stderr).toContain(
      'jit: cannot confirm that grant g-1 is still live, so no credentials are handed out'
    );
  });
});

describe('jit setup-profile looks at the grant first', () => {
  it('refuses a grant that has ended (exit 3) and writes nothing', async () => {
    const m = machine({ grant: revokedByDave(grantView()) });
    const refused = await m.jit('setup-profile', 'g-1', '--profile', 'x');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toBe(
      'jit: grant g-1 was revoked by dave: incident 42; a profile for it would never give credentials, so none was written (request access again if you still need it)'
    );
    expect(existsSync(join(m.home, 'aws-config'))).toBe(false);
  });

  it('writes the profile of a PENDING grant with a warning, and of a live one without', async () => {
    const pending = machine({ grant: grantView({ state: 'PENDING', approvals: [] }) });
    const written = await pending.jit('setup-profile', 'g-1', '--profile', 'x');
    expect(written.code).toBe(0);
    expect(written.stderr).toBe(
      'jit: grant g-1 is PENDING: the profile gives credentials once it is approved (jit show g-1)'
    );
    expect(readFileSync(join(pending.home, 'aws-config'), 'utf8')).toContain('[profile jit-x]');

    const live = machine();
    const quiet = await live.jit('setup-profile', 'g-1');
    expect([quiet.code, quiet.stderr]).toEqual([0, '']);
  });
});

/**
 * A command for `jit exec` that asks the container endpoint for credentials every 100 ms and
 * writes each answer (status and body) as a line to `log`; it exits 9 on the first refusal.
 */
const fetchingChild = (log: string) => [
  process.execPath,
  '-e',
  `const { appendFileSync } = require('node:fs');
   const ask = async () => {
     const r = await fetch(process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI, { headers: { authorization: process.env.AWS_CONTAINER_AUTHORIZATION_TOKEN } });
     appendFileSync(${JSON.stringify(log)}, r.status + ' ' + (await r.text()) + '\\n');
     if (r.status !== 200) process.exit(9);
     setTimeout(ask, 100);
   };
   ask();`,
];

/** Source for a child command that appends `line` to `log`. */
const appendLine = (log: string) => (line: string) =>
  `require('node:fs').appendFileSync(${JSON.stringify(log)}, '${line}\\n')`;
const lines = (path: string): string[] => (existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : []);
const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
};

/** Runs `jit exec … argv`, revokes the grant once the command has written `lines` lines to `log`. */
const revokeWhileRunning = async (m: ReturnType<typeof machine>, argv: string[], log: string, atLines = 1) => {
  const running = m.jit('exec', 'g-1', ...argv);
  await until(() => lines(log).length >= atLines);
  m.broker.state.grant = revokedByDave(m.broker.state.grant);
  return running;
};

describe('jit exec watches its grant', () => {
  it("answers the command's next credential request with who ended the grant and why, and says it on stderr", {
    timeout: 20_000,
  }, async () => {
    const m = machine({ realClock: true, env: { JIT_RECHECK_SECONDS: '0.2' } });
    const log = join(m.home, 'answers.log');
    const { code, stderr } = await revokeWhileRunning(m, ['--', ...fetchingChild(log)], log, 2);

    expect(code).toBe(9); // the command's own exit code: it stopped on the refusal
    const answers = lines(log);
    expect(answers.slice(0, 2).every((line) => line.startsWith('200 {"AccessKeyId":"ASIAVEND1"'))).toBe(true);
    expect(JSON.parse(answers.at(-1)!.replace(/^403 /, ''))).toEqual({
      Code: 'GrantEnded',
      Message: 'jit: grant g-1 was revoked by dave: incident 42',
    });
    expect(stderr.split('\n')[0]).toBe('jit: grant g-1 was revoked by dave: incident 42');
    expect(stderr).toContain("the command's next credential request fails");
    expect(stderr.match(/was revoked by dave/g)).toHaveLength(1);
  });

  it('says the end even when the command asks for nothing, and leaves the command running without --kill-on-end', {
    timeout: 20_000,
  }, async () => {
    const m = machine({ realClock: true, env: { JIT_RECHECK_SECONDS: '0' } });
    const log = join(m.home, 'child.log');
    const write = appendLine(log);
    const child = `${write('started')}; setTimeout(() => ${write('finished')}, 3000)`;
    const { code, stderr } = await revokeWhileRunning(m, ['--', process.execPath, '-e', child], log);
    expect(code).toBe(0);
    expect(lines(log)).toEqual(['started', 'finished']);
    expect(stderr).toContain('jit: grant g-1 was revoked by dave: incident 42');
  });

  it('with --kill-on-end stops the command (SIGTERM, then SIGKILL after the grace) and exits 3', {
    timeout: 20_000,
  }, async () => {
    const m = machine({ realClock: true, env: { JIT_RECHECK_SECONDS: '1' } });
    const log = join(m.home, 'signals.log');
    // A command that ignores SIGTERM: only SIGKILL stops it.
    const write = appendLine(log);
    const stubborn = `process.on('SIGTERM', () => ${write('SIGTERM')}); ${write('started')}; setInterval(() => {}, 1000);`;
    const argv = ['--kill-on-end', '--kill-grace', '1s', '--', process.execPath, '-e', stubborn];
    const { code, stderr } = await revokeWhileRunning(m, argv, log);
    expect(code).toBe(3);
    expect(lines(log)).toEqual(['started', 'SIGTERM']);
    expect(stderr).toBe('jit: grant g-1 was revoked by dave: incident 42\njit: stopping the command (--kill-on-end)');
  });
});
