import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KILL_POLICY_NAME } from '../../functions/domain/sessionKill.js';
import { localIamClient } from '../../sandbox/localAwsClients.js';
import { finish } from '../helpers/finish.js';
import { masksIn, runnerFiles } from '../helpers/githubRunner.js';
import { githubDeployClaims, type LocalIssuer, startLocalIssuer } from '../helpers/localIssuer.js';
import { cliEnvFor, interrupt, startSandboxProcess } from '../helpers/sandboxProcess.js';

const AWS_CLI = '/usr/bin/aws';
const JIT = resolve('cli/bin/jit.mjs');

const run = (command: string, args: readonly string[], env: NodeJS.ProcessEnv) =>
  finish(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env }));

/** `jit ci credentials` for the example staging template, with a token from a file. */
const deployArgs = (tokenPath: string, ...extra: string[]) => [
  JIT,
  'ci',
  'credentials',
  '--template',
  'service-deploy-staging',
  '--input',
  'service=orders',
  ...extra,
  '--token-file',
  tokenPath,
];

describe('a CI job against the sandbox process: token in, per-deploy credentials out, killed at done', () => {
  const home = mkdtempSync(join(tmpdir(), 'jit-ci-e2e-'));
  let issuer: LocalIssuer;
  let sandbox: Awaited<ReturnType<typeof startSandboxProcess>>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    issuer = await startLocalIssuer();
    // The example configuration, with the test's local issuer in the place of GitHub's.
    const configDir = join(home, 'config');
    cpSync('config', configDir, { recursive: true });
    const ci = JSON.parse(readFileSync('config/ci.json', 'utf8'));
    ci.issuers[ci.issuers.findIndex((i: { id: string }) => i.id === 'github-actions')] = issuer.config();
    writeFileSync(join(configDir, 'ci.json'), JSON.stringify(ci));
    sandbox = await startSandboxProcess(['--in-memory', '--config-dir', configDir]);
    env = {
      PATH: process.env.PATH,
      HOME: home,
      AWS_CONFIG_FILE: join(home, 'aws-config'),
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...cliEnvFor(sandbox),
    };
  }, 60_000);

  afterAll(async () => {
    if (sandbox) await interrupt(sandbox.child);
    await issuer?.close();
    rmSync(home, { recursive: true, force: true });
  });

  const tokenFile = async (name: string, claims = githubDeployClaims()) => {
    const path = join(home, name);
    writeFileSync(path, await issuer.mint(claims), { mode: 0o600 });
    return path;
  };

  it('gets credentials into GITHUB_ENV, uses them, ends them with done; the role then denies the session', {
    timeout: 120_000,
  }, async () => {
    expect(sandbox.ready.access).toBe('emulator');
    const runner = runnerFiles(mkdtempSync(join(home, 'runner-')));
    const vend = await run(
      process.execPath,
      deployArgs(await tokenFile('t1'), '--for', '20m', '--region', 'eu-central-1'),
      { ...env, ...runner.files }
    );
    expect(vend.code, vend.stderr).toBe(0);
    const exported = runner.read('GITHUB_ENV');
    expect(Object.keys(exported).sort()).toEqual([
      'AWS_ACCESS_KEY_ID',
      'AWS_CREDENTIAL_EXPIRATION',
      'AWS_DEFAULT_REGION',
      'AWS_REGION',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'JIT_GRANT_ID',
    ]);
    const secrets = [exported.AWS_ACCESS_KEY_ID, exported.AWS_SECRET_ACCESS_KEY, exported.AWS_SESSION_TOKEN];
    const { masked, rest } = masksIn(vend.stderr);
    expect(masked).toEqual(secrets);
    for (const secret of secrets) expect(`${vend.stdout}${rest}`).not.toContain(secret);
    const grantId = exported.JIT_GRANT_ID as string;

    // The next step of the job: the AWS CLI with what the job exported.
    const who = await run(AWS_CLI, ['sts', 'get-caller-identity', '--endpoint-url', sandbox.ready.awsEndpoint!], {
      ...env,
      ...exported,
    });
    expect(who.code, who.stderr).toBe(0);
    expect(JSON.parse(who.stdout).Arn).toBe(`arn:aws:sts::123456789012:assumed-role/staging-deploy/ci.7001.${grantId}`);

    // Another job of the same run (a test job, no environment) cannot end the deploy job's grant.
    const siblingToken = await tokenFile(
      't-sibling',
      githubDeployClaims({ check_run_id: '9002', environment: undefined })
    );
    const sibling = await run(process.execPath, [JIT, 'ci', 'done', '--token-file', siblingToken], {
      ...env,
      JIT_GRANT_ID: grantId,
    });
    expect(sibling.code).toBe(2);
    expect(sibling.stderr).toContain('check_run_id is "9002", not "9001"; environment is "", not "staging"');

    // The end step (if: always()), with a fresh token of the same job.
    const done = await run(process.execPath, [JIT, 'ci', 'done', '--token-file', await tokenFile('t2')], {
      ...env,
      JIT_GRANT_ID: grantId,
    });
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain(`${grantId} is ENDED`);
    // The same step again (a retried job, a second `if: always()` step): nothing left to end.
    const again = await run(process.execPath, [JIT, 'ci', 'done', '--token-file', await tokenFile('t2b')], {
      ...env,
      JIT_GRANT_ID: grantId,
    });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`note: nothing to end: grant ${grantId} is ENDED`);

    const iam = localIamClient(sandbox.ready.awsEndpoint!);
    try {
      const kill = await iam.send(
        new GetRolePolicyCommand({ RoleName: 'staging-deploy', PolicyName: KILL_POLICY_NAME })
      );
      const document = JSON.parse(decodeURIComponent(kill.PolicyDocument ?? ''));
      expect(document.Statement[0].Effect).toBe('Deny');
      expect(document.Statement[0].Condition.StringEquals['aws:SourceIdentity']).toContain(grantId);
    } finally {
      iam.destroy();
    }
  });

  it('prints why a job is refused, naming the claim and the rule, and exits 2', { timeout: 60_000 }, async () => {
    const refused = await run(
      process.execPath,
      deployArgs(
        await tokenFile(
          't3',
          githubDeployClaims({ run_id: '7002', ref: 'refs/heads/feature-x', ref_protected: 'false' })
        )
      ),
      env
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'denied by policy `ci-protected-refs-only`: ref refs/heads/feature-x is not protected'
    );
    expect(refused.stdout).toBe('');
  });
});
