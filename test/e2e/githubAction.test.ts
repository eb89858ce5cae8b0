import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_FILE, buildAction } from '../../action/build.js';
import { finish } from '../helpers/finish.js';
import { masksIn, runnerFiles } from '../helpers/githubRunner.js';
import { callApi, interrupt, startSandboxProcess } from '../helpers/sandboxProcess.js';

const AWS_CLI = '/usr/bin/aws';

describe('the GitHub Action against the sandbox and its test OIDC issuer, on a simulated runner', () => {
  const home = mkdtempSync(join(tmpdir(), 'jit-action-e2e-'));
  let sandbox: Awaited<ReturnType<typeof startSandboxProcess>>;
  let issuer: NonNullable<Awaited<ReturnType<typeof startSandboxProcess>>['ready']['testOidcIssuer']>;

  beforeAll(async () => {
    sandbox = await startSandboxProcess(['--in-memory', '--test-oidc-issuer']);
    issuer = sandbox.ready.testOidcIssuer!;
  }, 60_000);

  afterAll(async () => {
    if (sandbox) await interrupt(sandbox.child);
    rmSync(home, { recursive: true, force: true });
  });

  it('is committed exactly as `npm run build:action` makes it from the sources', async () => {
    const fresh = await buildAction(join(home, 'index.cjs'));
    expect(readFileSync(ACTION_FILE, 'utf8') === fresh, 'action/dist/index.cjs is stale: npm run build:action').toBe(
      true
    );
  });

  /**
   * One job on a simulated runner: the command files, the runner's token service (the sandbox's
   * test issuer; `claims` as query parameters make this job's token), and the action's inputs.
   */
  const job = (claims: Record<string, string>, inputs: Record<string, string> = {}) => {
    const runner = runnerFiles(mkdtempSync(join(home, 'job-')));
    const tokenUrl = new URL(issuer.tokenUrls.github);
    tokenUrl.searchParams.set('api-version', '2.0');
    for (const [name, value] of Object.entries(claims)) tokenUrl.searchParams.set(name, value);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      GITHUB_ACTIONS: 'true',
      ...runner.files,
      ACTIONS_ID_TOKEN_REQUEST_URL: tokenUrl.href,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: issuer.requestToken,
      INPUT_TEMPLATE: 'service-deploy-staging',
      INPUT_INPUTS: 'service=orders\n',
      INPUT_FOR: '20m',
      'INPUT_AWS-REGION': 'eu-central-1',
      INPUT_AUDIENCE: issuer.audience,
      'INPUT_BROKER-URL': sandbox.ready.api,
      // Where the sandbox wrote its token, which the action finds as the jit CLI does.
      XDG_STATE_HOME: sandbox.stateDir,
      ...Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value])),
    };
    /** Runs the action's main step, or its post step with the state main saved (as STATE_<name>). */
    const step = (which: 'main' | 'post') => {
      const state = which === 'post' ? runner.read('GITHUB_STATE') : {};
      const stateEnv = Object.fromEntries(Object.entries(state).map(([name, value]) => [`STATE_${name}`, value]));
      return finish(
        spawn(process.execPath, [ACTION_FILE], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...env, ...stateEnv } })
      );
    };
    return { runner, step };
  };

  const grantState = async (grantId: string) => {
    return (await callApi(sandbox.ready, 'dave', 'GET', `/grants/${grantId}`)).body.state as string;
  };

  it('main: working credentials, all three values masked, outputs set; post ends the grant after a failed step, and again is a note', {
    timeout: 120_000,
  }, async () => {
    const { runner, step } = job({ run_id: '8101' });
    const main = await step('main');
    expect(main.code, main.stdout + main.stderr).toBe(0);

    const exported = runner.read('GITHUB_ENV');
    const outputs = runner.read('GITHUB_OUTPUT');
    const secrets = [exported.AWS_ACCESS_KEY_ID, exported.AWS_SECRET_ACCESS_KEY, exported.AWS_SESSION_TOKEN];
    const { masked, rest } = masksIn(main.stdout);
    expect(masked).toEqual(secrets);
    for (const secret of secrets) expect(`${rest}${main.stderr}`).not.toContain(secret);
    expect(exported).toMatchObject({
      AWS_REGION: 'eu-central-1',
      AWS_DEFAULT_REGION: 'eu-central-1',
      AWS_CREDENTIAL_EXPIRATION: outputs['aws-expiration'],
      JIT_GRANT_ID: outputs['grant-id'],
    });
    const grantId = outputs['grant-id'] as string;
    expect(outputs).toEqual({
      'grant-id': grantId,
      'aws-account-id': '123456789012',
      'authenticated-arn': `arn:aws:sts::123456789012:assumed-role/staging-deploy/ci.8101.${grantId}`,
      'aws-expiration': expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    // The next steps: the AWS CLI with what the job exported works; then a step fails.
    const awsEnv = { PATH: process.env.PATH, HOME: home, AWS_CONFIG_FILE: join(home, 'none'), ...exported };
    const who = await finish(
      spawn(AWS_CLI, ['sts', 'get-caller-identity', '--endpoint-url', sandbox.ready.awsEndpoint!], { env: awsEnv })
    );
    expect(who.code, who.stderr).toBe(0);
    expect(JSON.parse(who.stdout).Arn).toBe(outputs['authenticated-arn']);
    const failing = await finish(spawn(process.execPath, ['-e', 'process.exit(1)'], { env: awsEnv }));
    expect(failing.code).toBe(1);

    // post-if: always() — the post step runs although the job failed.
    const post = await step('post');
    expect(post.code, post.stdout + post.stderr).toBe(0);
    expect(post.stdout).toContain(`Grant ${grantId} is ENDED`);
    expect(await grantState(grantId)).toBe('ENDED');
    const afterPost = runner.read('GITHUB_ENV');
    expect([afterPost.AWS_ACCESS_KEY_ID, afterPost.AWS_SECRET_ACCESS_KEY, afterPost.AWS_SESSION_TOKEN]).toEqual([
      '',
      '',
      '',
    ]);

    const again = await step('post');
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain(`::notice::Nothing to end: grant ${grantId} is ENDED`);
  });

  it('a refused deploy fails main with the policy and the claim, opens no grant, and post has nothing to end', {
    timeout: 60_000,
  }, async () => {
    const { runner, step } = job({ run_id: '8102', ref: 'refs/heads/feature-x', ref_protected: 'false' });
    const main = await step('main');
    expect(main.code).toBe(1);
    expect(main.stdout).toContain(
      '::error::denied by policy `ci-protected-refs-only`: ref refs/heads/feature-x is not protected'
    );
    expect(runner.read('GITHUB_ENV')).toEqual({});
    const post = await step('post');
    expect(post.code).toBe(0);
    expect(post.stdout).toContain('No grant was opened in this job: nothing to end.');
  });

  it('a duration above the template’s maximum fails main, in the units it was given', { timeout: 60_000 }, async () => {
    const { step } = job({ run_id: '8103' }, { for: '2h' });
    const main = await step('main');
    expect(main.code).toBe(1);
    expect(main.stdout).toContain(
      '::error::2h is too long for this deploy: template service-deploy-staging allows a deploy of at most 30m; asked for 2h'
    );
  });

  it('a grant revoked by security before the post step: post says so in a notice and does not fail', {
    timeout: 60_000,
  }, async () => {
    const { runner, step } = job({ run_id: '8104' });
    expect((await step('main')).code).toBe(0);
    const grantId = runner.read('GITHUB_OUTPUT')['grant-id'] as string;
    const revoked = await callApi(sandbox.ready, 'dave', 'POST', `/grants/${grantId}/revoke`, {
      reason: 'incident 42',
    });
    expect(revoked.status).toBe(200);
    const post = await step('post');
    expect(post.code, post.stdout).toBe(0);
    expect(post.stdout).toContain(`::notice::Nothing to end: grant ${grantId} is REVOKED`);
  });
});
