import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VendedCredentials } from '../../cli/api/brokerApi.js';
import { startCredentialServer } from '../../cli/exec/credentialServer.js';
import { PROD_READ_REQUEST } from '../helpers/cliArgs.js';
import { finish } from '../helpers/finish.js';
import { cliEnvFor, interrupt, startSandboxProcess } from '../helpers/sandboxProcess.js';

/** Debian's AWS CLI v2 (installed by .ci/run); the `aws` first on PATH may be an older v1. */
const AWS_CLI = '/usr/bin/aws';
const JIT = resolve('cli/bin/jit.mjs');
const RECHECK_SECONDS = 2;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
/** Resolves once `child` has printed `text` on stdout. */
const printed = (child: ChildProcess, text: string) =>
  new Promise<void>((seen) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(text)) seen();
    });
  });

describe('the jit CLI against the sandbox process', () => {
  const home = mkdtempSync(join(tmpdir(), 'jit-cli-e2e-'));
  const children = new Set<ChildProcess>();
  let sandbox: Awaited<ReturnType<typeof startSandboxProcess>>;
  let env: NodeJS.ProcessEnv;

  /** Starts a process with the test's isolated HOME, caches and AWS config; the test stops it. */
  const start = (command: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): ChildProcess => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, ...extraEnv } });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  // --as goes right after the command name, so it stays in front of exec's `--`.
  const jitArgs = (user: string, [command, ...rest]: string[]) => [JIT, command!, '--as', user, ...rest];
  const jit = (user: string, ...args: string[]) => finish(start(process.execPath, jitArgs(user, args)));
  const aws = (...args: string[]) => finish(start(AWS_CLI, [...args, '--endpoint-url', sandbox.ready.awsEndpoint!]));
  const awsLocal = (...args: string[]) => finish(start(AWS_CLI, args));
  const requestArgs = [...PROD_READ_REQUEST];
  const requestAndApprove = async (): Promise<string> => {
    const requested = await jit('alice', ...requestArgs);
    const id = (JSON.parse(requested.stdout) as { id: string }).id;
    expect((await jit('bob', 'approve', id)).code).toBe(0);
    return id;
  };

  beforeAll(async () => {
    sandbox = await startSandboxProcess(['--in-memory']);
    env = {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CACHE_HOME: join(home, 'cache'),
      XDG_CONFIG_HOME: join(home, 'config'),
      AWS_CONFIG_FILE: join(home, 'aws-config'),
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...cliEnvFor(sandbox),
      // The client's re-check bound, lowered from 30 s so the tests below need not sleep that long.
      JIT_RECHECK_SECONDS: String(RECHECK_SECONDS),
    };
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    if (sandbox) await interrupt(sandbox.child);
    rmSync(home, { recursive: true, force: true });
  });

  it('request --wait returns once bob approves; exec runs the AWS CLI as the grant; done ends it', {
    timeout: 120_000,
  }, async () => {
    expect(sandbox.ready.access).toBe('emulator');
    const waiting = finish(start(process.execPath, jitArgs('alice', [...requestArgs, '--wait'])));
    let id: string | undefined;
    while (id === undefined) {
      const listed = JSON.parse((await jit('alice', 'list', '--json')).stdout) as { grants: { id: string }[] };
      id = listed.grants[0]?.id;
    }
    const inbox = await jit('bob', 'inbox');
    expect(inbox.stdout).toContain(id);
    expect((await jit('bob', 'approve', id, '--comment', 'matches the incident')).code).toBe(0);

    const waited = await waiting;
    expect(waited.code).toBe(0);
    expect(JSON.parse(waited.stdout)).toMatchObject({ id, state: 'APPROVED' });
    expect(waited.stderr).toContain(`waiting for ${id}: PENDING, 0/1 approvals`);

    const who = await jit(
      'alice',
      'exec',
      id,
      '--',
      AWS_CLI,
      'sts',
      'get-caller-identity',
      '--endpoint-url',
      sandbox.ready.awsEndpoint!
    );
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout).Arn).toBe(`arn:aws:sts::123456789012:assumed-role/prod-read/alice.${id}`);

    const exitCode = await jit('alice', 'exec', id, '--', process.execPath, '-e', 'process.exit(7)');
    expect(exitCode.code).toBe(7);

    const done = await jit('alice', 'done', id);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`${id} is ENDED`);
    const after = await jit('alice', 'exec', id, '--', process.execPath, '-e', '');
    expect(after.code).toBe(3);
    expect(after.stderr).toContain(`grant ${id} was ended by alice: done`);
  });

  it('a new user: request --wait, setup-profile prod-read, then plain aws --profile jit-prod-read works; the profile follows the next grant', {
    timeout: 180_000,
  }, async () => {
    // No Region anywhere but what jit writes: the profile must carry it.
    const bare = { AWS_DEFAULT_REGION: undefined };
    const approveNext = async (): Promise<string> => {
      const waiting = finish(start(process.execPath, jitArgs('erin', [...requestArgs, '--wait']), bare));
      let pending: string | undefined;
      while (pending === undefined) {
        const inbox = JSON.parse((await jit('bob', 'inbox', '--json')).stdout) as {
          grants: { id: string; requester: string }[];
        };
        pending = inbox.grants.find((g) => g.requester === 'erin')?.id;
      }
      expect((await jit('bob', 'approve', pending)).code).toBe(0);
      const waited = await waiting;
      expect(waited.code, waited.stderr).toBe(0);
      return (JSON.parse(waited.stdout) as { id: string }).id;
    };
    const first = await approveNext();

    const setup = finish(start(process.execPath, jitArgs('erin', ['setup-profile', 'prod-read']), bare));
    const { code, stdout } = await setup;
    expect(code).toBe(0);
    const printed = /Use it: (aws .*)$/m.exec(stdout)?.[1];
    expect(printed).toBe(
      `aws --profile jit-prod-read sts get-caller-identity --endpoint-url ${sandbox.ready.awsEndpoint}`
    );
    // The printed command, run as printed by the real AWS CLI v2, with no Region or profile in the environment.
    const asPrinted = () => finish(start(AWS_CLI, printed!.split(' ').slice(1), bare));
    const who = await asPrinted();
    expect(who.code, who.stderr).toBe(0);
    expect(JSON.parse(who.stdout).Arn).toBe(`arn:aws:sts::123456789012:assumed-role/prod-read/erin.${first}`);
    // An SDK that reads endpoint_url from the profile needs nothing else at all (boto3, installed with moto).
    const boto = await finish(
      start(
        'python3',
        [
          '-c',
          "import boto3; print(boto3.Session(profile_name='jit-prod-read').client('s3').list_objects_v2(Bucket='example-bucket')['KeyCount'])",
        ],
        bare
      )
    );
    expect(boto.stderr).toContain('AccessDenied'); // s3:ListBucket is outside the task: the emulator's IAM refuses it
    const read = await finish(
      start(
        'python3',
        [
          '-c',
          "import boto3; print(boto3.Session(profile_name='jit-prod-read').client('s3').get_object(Bucket='example-bucket', Key='nightly/report.csv')['ContentLength'])",
        ],
        bare
      )
    );
    expect(read.code, read.stderr).toBe(0);
    expect(Number(read.stdout.trim())).toBeGreaterThan(0);

    // AWS_PROFILE naming the jit profile cannot make jit recurse: the line names everything it needs.
    const viaEnv = await finish(
      start(AWS_CLI, ['sts', 'get-caller-identity', '--endpoint-url', sandbox.ready.awsEndpoint!], {
        ...bare,
        AWS_PROFILE: 'jit-prod-read',
      })
    );
    expect(viaEnv.code, viaEnv.stderr).toBe(0);

    // A profile for the first grant alone goes stale at done; prune removes it and keeps the role's.
    expect((await jit('erin', 'setup-profile', first, '--profile', 'erin-first')).code).toBe(0);
    expect((await jit('erin', 'done', first)).code).toBe(0);
    const none = await asPrinted();
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain(
      `grant ${first} was ended by erin: done; you have no other live grant for prod-read; request one: jit request prod-read`
    );

    const second = await approveNext();
    const again = await asPrinted();
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).Arn).toBe(`arn:aws:sts::123456789012:assumed-role/prod-read/erin.${second}`);

    const pruned = await jit('erin', 'profiles', 'prune');
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain(`jit-erin-first  removed: grant ${first} was ended by erin: done`);
    expect(pruned.stdout).toContain('jit-prod-read  ok');
    const listed = JSON.parse((await jit('erin', 'profiles', 'list', '--json')).stdout) as {
      profiles: { name: string }[];
    };
    expect(listed.profiles.map((p) => p.name)).not.toContain('jit-erin-first');
    expect(listed.profiles.map((p) => p.name)).toContain('jit-prod-read');

    // exec points the command at the emulator and its Region, so plain `aws` works inside it.
    const inside = await jit(
      'erin',
      'exec',
      second,
      '--',
      process.execPath,
      '-e',
      'console.log(process.env.AWS_ENDPOINT_URL, process.env.AWS_REGION, process.env.JIT_GRANT_ID)'
    );
    expect(inside.stdout.trim()).toBe(`${sandbox.ready.awsEndpoint} us-east-1 ${second}`);
    expect((await jit('erin', 'done', second)).code).toBe(0);
  });

  it('policies answer through the CLI: a refusal names its policy; on-call breaks glass; security closes the review', {
    timeout: 60_000,
  }, async () => {
    const adminArgs = ['prod-admin', '--action', 'ec2:RebootInstances', '--resource', '*', '--for', '30m'];
    const refused = await jit('alice', 'request', ...adminArgs, '--reason', 'restart the hung database host');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('denied by policy `prod-needs-ticket`: prod-admin needs a ticket matching INC-*');
    expect(refused.stderr).toContain('[403 POLICY_DENIED]');

    const breakGlass = (user: string) =>
      jit(
        user,
        'request',
        ...adminArgs,
        '--ticket',
        'INC-981',
        '--reason',
        'prod outage, db host hung',
        '--break-glass'
      );
    const notOnCall = await breakGlass('alice');
    expect(notOnCall.code).toBe(2);
    expect(notOnCall.stderr).toContain('no policy permits alice to break glass on role prod-admin');

    const glass = await breakGlass('carol');
    expect(glass.code).toBe(0);
    const id = /BREAK-GLASS (g-\S+): prod-admin is APPROVED until /.exec(glass.stdout)?.[1];
    expect(id, glass.stdout).toBeDefined();
    expect((await jit('carol', 'show', id!)).stdout).toContain('break-glass: security has not reviewed it yet');

    expect((await jit('bob', 'reviews')).code).toBe(2);
    expect((await jit('dave', 'reviews')).stdout).toContain(id);
    expect((await jit('dave', 'review', id!)).code).toBe(1);
    const closed = await jit('dave', 'review', id!, '--comment', 'INC-981 outage; reboot matches the runbook');
    expect(closed.code).toBe(0);
    expect((await jit('dave', 'reviews')).stdout).toContain('No break-glass grant awaits review.');
    expect((await jit('carol', 'show', id!)).stdout).toMatch(/review +reviewed by dave .*: INC-981 outage/);
  });

  it('aws --profile works through setup-profile and credential_process, and fails once the grant is done', {
    timeout: 120_000,
  }, async () => {
    const id = await requestAndApprove();
    const setup = await jit('alice', 'setup-profile', id, '--profile', 'x');
    expect(setup.code).toBe(0);

    const exported = await awsLocal('configure', 'export-credentials', '--profile', 'jit-x');
    expect(exported.code).toBe(0);
    const fromAws = JSON.parse(exported.stdout) as VendedCredentials;
    const fromJit = JSON.parse((await jit('alice', 'creds', id, '--json')).stdout) as VendedCredentials & {
      GrantId: string;
    };
    expect(fromAws.AccessKeyId).toBe(fromJit.AccessKeyId);
    expect(fromJit.GrantId).toBe(id);
    expect(fromAws.AccessKeyId).toMatch(/^ASIA/);

    const who = await aws('sts', 'get-caller-identity', '--profile', 'jit-x');
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout).Arn).toBe(`arn:aws:sts::123456789012:assumed-role/prod-read/alice.${id}`);

    expect((await jit('alice', 'done', id)).code).toBe(0);
    rmSync(join(home, 'cache', 'jit'), { recursive: true, force: true });
    const refused = await aws('sts', 'get-caller-identity', '--profile', 'jit-x');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Error when retrieving credentials from custom-process');
    expect(refused.stderr).toContain(`grant ${id} was ended by alice: done`);
    expect(refused.stderr).not.toContain(fromAws.SecretAccessKey);
  });

  it("revoked by dave while jit exec runs: the AWS CLI's next credential fetch fails with who revoked it and why", {
    timeout: 120_000,
  }, async () => {
    const id = await requestAndApprove();
    // The command fetches credentials from jit's endpoint again and again, as a script of AWS CLI calls does.
    const loop = `while ${AWS_CLI} configure export-credentials >/dev/null; do echo fetched; sleep 0.2; done; exit 9`;
    const exec = start(process.execPath, jitArgs('alice', ['exec', id, '--', '/bin/sh', '-c', loop]));
    const finished = finish(exec);
    await printed(exec, 'fetched');
    expect((await jit('dave', 'revoke', id, '--reason', 'incident 42')).code).toBe(0);

    const { code, stderr } = await finished;
    expect(code).toBe(9); // the loop ended because a fetch failed
    expect(stderr).toContain(`jit: grant ${id} was revoked by dave: incident 42`);
    expect(stderr).toContain('Received non 200 response (403) from ECS metadata');
    expect(stderr).toContain(`"Message":"jit: grant ${id} was revoked by dave: incident 42"`);
  });

  it('with --kill-on-end, jit exec stops the command when dave revokes the grant, and exits 3', {
    timeout: 60_000,
  }, async () => {
    const id = await requestAndApprove();
    const command = ['/bin/sh', '-c', 'echo started; exec sleep 600'];
    const exec = start(process.execPath, jitArgs('alice', ['exec', id, '--kill-on-end', '--', ...command]));
    const finished = finish(exec);
    await printed(exec, 'started');
    expect((await jit('dave', 'revoke', id, '--reason', 'incident 43')).code).toBe(0);
    const { code, stderr } = await finished;
    expect(code).toBe(3);
    expect(stderr).toContain(`jit: grant ${id} was revoked by dave: incident 43`);
    expect(stderr).toContain('jit: stopping the command (--kill-on-end)');
  });

  it('after a revoke by dave, jit creds --format process (and the profile using it) exit 3 within the bound', {
    timeout: 60_000,
  }, async () => {
    const id = await requestAndApprove();
    expect((await jit('alice', 'setup-profile', id, '--profile', 'y')).code).toBe(0);
    const before = await jit('alice', 'creds', id, '--format', 'process');
    expect(before.code).toBe(0);
    expect((await awsLocal('configure', 'export-credentials', '--profile', 'jit-y')).code).toBe(0);

    // dave's revoke leaves alice's cached session on disk: only her next check can notice the end.
    expect((await jit('dave', 'revoke', id, '--reason', 'incident 42')).code).toBe(0);
    await sleep(RECHECK_SECONDS * 1000);
    const after = await jit('alice', 'creds', id, '--format', 'process');
    expect(after).toEqual({ code: 3, stdout: '', stderr: `jit: grant ${id} was revoked by dave: incident 42\n` });
    const viaProfile = await awsLocal('configure', 'export-credentials', '--profile', 'jit-y');
    expect(viaProfile.code).not.toBe(0);
    expect(viaProfile.stderr).toContain(`grant ${id} was revoked by dave: incident 42`);
    expect(viaProfile.stderr).not.toContain(JSON.parse(before.stdout).SecretAccessKey);

    const profile = await jit('alice', 'setup-profile', id, '--profile', 'y');
    expect(profile.code).toBe(3);
    expect(profile.stderr).toContain('a profile for it would never give credentials, so none was written');
  });

  it("the AWS CLI fetches again from jit exec's endpoint before credentials expire", { timeout: 60_000 }, async () => {
    const sessions: VendedCredentials[] = [];
    const server = await startCredentialServer(async () => {
      // First a session inside the CLI's refresh window (5 min left), then a fresh 1-hour one.
      const minutes = sessions.length === 0 ? 5 : 60;
      const session: VendedCredentials = {
        Version: 1,
        AccessKeyId: `ASIASESSION${sessions.length + 1}`,
        SecretAccessKey: 'secret',
        SessionToken: 'token',
        Expiration: new Date(Date.now() + minutes * 60_000).toISOString(),
      };
      sessions.push(session);
      return session;
    });
    try {
      const exported = await finish(
        start(AWS_CLI, ['configure', 'export-credentials'], {
          AWS_CONTAINER_CREDENTIALS_FULL_URI: server.url,
          AWS_CONTAINER_AUTHORIZATION_TOKEN: server.token,
        })
      );
      expect(exported.code).toBe(0);
      expect(sessions.length).toBe(2);
      expect(JSON.parse(exported.stdout).AccessKeyId).toBe('ASIASESSION2');
    } finally {
      await server.close();
    }
  });

  it('request --exec: approved at once, the command runs with the credentials the request was answered with', {
    timeout: 60_000,
  }, async () => {
    const run = await jit(
      'carol',
      'request',
      'prod-admin',
      '--action',
      'ec2:RebootInstances',
      '--resource',
      '*',
      '--for',
      '30m',
      '--ticket',
      'INC-982',
      '--reason',
      'prod outage, db host hung again',
      '--break-glass',
      '--exec',
      '--',
      AWS_CLI,
      'sts',
      'get-caller-identity',
      '--output',
      'json',
      '--endpoint-url',
      sandbox.ready.awsEndpoint!
    );
    expect(run.code, run.stderr).toBe(0);
    const id = /BREAK-GLASS (g-\S+): prod-admin is ACTIVE until /.exec(run.stderr)?.[1];
    expect(id, run.stderr).toBeDefined();
    // stdout is the command's alone: the session is the grant's.
    expect(JSON.parse(run.stdout).Arn).toBe(`arn:aws:sts::123456789012:assumed-role/prod-admin/carol.${id}`);
    // One vend, the one the request was answered with: the command got it with no second call.
    const shown = JSON.parse((await jit('carol', 'show', id!, '--json')).stdout) as { vendCount: number };
    expect(shown.vendCount).toBe(1);
    expect((await jit('dave', 'review', id!, '--comment', 'INC-982 outage; reboot matches the runbook')).code).toBe(0);
  });

  it('request --exec: a pending request is waited for, then the command runs and its exit code is jit’s', {
    timeout: 60_000,
  }, async () => {
    const listIds = async () =>
      (JSON.parse((await jit('alice', 'list', '--json')).stdout) as { grants: { id: string }[] }).grants.map(
        (g) => g.id
      );
    const before = new Set(await listIds());
    const args = PROD_READ_REQUEST.filter((a) => a !== '--json');
    const script = 'process.stdout.write(process.env.JIT_GRANT_ID); process.exit(5)';
    const waiting = finish(
      start(process.execPath, jitArgs('alice', [...args, '--exec', '--', process.execPath, '-e', script]))
    );
    let id: string | undefined;
    while (id === undefined) id = (await listIds()).find((g) => !before.has(g));
    expect((await jit('bob', 'approve', id, '--comment', 'matches the incident')).code).toBe(0);
    const run = await waiting;
    expect(run.stderr).toContain(`Requested ${id}: prod-read for 30m, PENDING`);
    expect(run.stderr).toContain(`waiting for ${id}: PENDING, 0/1 approvals`);
    expect(run.stdout).toBe(id);
    expect(run.code).toBe(5);
    // Approved by a person: no credentials came with the request, so jit vended them as jit exec does.
    const shown = JSON.parse((await jit('alice', 'show', id, '--json')).stdout) as { vendCount: number };
    expect(shown.vendCount).toBe(1);
    expect((await jit('alice', 'done', id)).code).toBe(0);
  });

  it('request refuses --exec with --json, and a command or exec flags without --exec', async () => {
    const args = PROD_READ_REQUEST.filter((a) => a !== '--json');
    const withJson = await jit('alice', ...args, '--exec', '--json');
    expect(withJson.code).toBe(1);
    expect(withJson.stderr).toContain('drop --json');
    const noExec = await jit('alice', ...args, '--', 'true');
    expect(noExec.code).toBe(1);
    expect(noExec.stderr).toContain('a command after -- needs --exec');
    const staticAlone = await jit('alice', ...args, '--static');
    expect(staticAlone.code).toBe(1);
    expect(staticAlone.stderr).toContain('--static needs --exec');
  });
});
