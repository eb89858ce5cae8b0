import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finish } from '../helpers/finish.js';
import { callApi, cliEnvFor, interrupt, startSandboxProcess } from '../helpers/sandboxProcess.js';

const TEMPLATE = '.gitlab/jit-broker.gitlab-ci.yml';
const AWS_CLI = '/usr/bin/aws';

/**
 * The script lists of the template's hidden job. The template keeps to a YAML subset this reads
 * exactly — one plain scalar per item — and the test holds it to that subset, so what runs here is
 * what GitLab runs.
 */
const scriptOf = (yaml: string, key: 'before_script' | 'after_script'): string[] => {
  const lines = yaml.split('\n');
  const start = lines.indexOf(`  ${key}:`);
  expect(start, `${TEMPLATE} has no ${key}`).toBeGreaterThan(-1);
  const items: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^ {4}#/.test(line)) continue;
    const item = /^ {4}- (.*)$/.exec(line)?.[1];
    if (item === undefined) break;
    // A plain scalar: no ': ' or ' #' inside, no indicator character first (YAML 1.2, 7.3.3).
    expect(item, `${key} item is not a plain YAML scalar`).not.toMatch(/: | #|^[-?:,[\]{}#&*!|>'"%@`]/);
    items.push(item);
  }
  return items;
};

describe('the GitLab CI template against the sandbox and its test OIDC issuer, on a simulated job', () => {
  const home = mkdtempSync(join(tmpdir(), 'jit-gitlab-e2e-'));
  const yaml = readFileSync(TEMPLATE, 'utf8');
  let sandbox: Awaited<ReturnType<typeof startSandboxProcess>>;

  beforeAll(async () => {
    sandbox = await startSandboxProcess(['--in-memory', '--test-oidc-issuer']);
    // The job's image has jit on its PATH (the template installs @jit-broker/cli only when it has not).
    mkdirSync(join(home, 'bin'));
    symlinkSync(resolve('cli/bin/jit.mjs'), join(home, 'bin', 'jit'));
  }, 60_000);

  afterAll(async () => {
    if (sandbox) await interrupt(sandbox.child);
    rmSync(home, { recursive: true, force: true });
  });

  /** A GitLab ID token from the test issuer, as the runner puts it in an id_tokens variable. */
  const idToken = async (claims: Record<string, string>) => {
    const issuer = sandbox.ready.testOidcIssuer!;
    const url = new URL(issuer.tokenUrls.gitlab);
    url.searchParams.set('audience', issuer.audience);
    for (const [name, value] of Object.entries(claims)) url.searchParams.set(name, value);
    const response = await fetch(url, { headers: { authorization: `Bearer ${issuer.requestToken}` } });
    return ((await response.json()) as { value: string }).value;
  };

  /** One job: before_script and script in one shell, after_script in another, as the runner runs them. */
  const job = async (claims: Record<string, string>) => {
    const projectDir = mkdtempSync(join(home, 'project-'));
    const env: NodeJS.ProcessEnv = {
      PATH: `${join(home, 'bin')}:${process.env.PATH}`,
      HOME: home,
      AWS_CONFIG_FILE: join(home, 'none'),
      CI_PROJECT_DIR: projectDir,
      ...cliEnvFor(sandbox),
      JIT_CI_AUDIENCE: sandbox.ready.testOidcIssuer!.audience,
      JIT_TEMPLATE: 'service-deploy-staging',
      JIT_INPUTS: 'service=orders',
      JIT_FOR: '20m',
      AWS_REGION: 'eu-central-1',
      JIT_GRANT_FILE: join(projectDir, '.jit-grant-id'),
      JIT_TOKEN: await idToken(claims),
      JIT_DONE_TOKEN: await idToken(claims),
    };
    const shell = (lines: readonly string[]) =>
      finish(
        spawn('bash', ['-eo', 'pipefail', '-c', lines.join('\n')], {
          cwd: projectDir,
          stdio: ['ignore', 'pipe', 'pipe'],
          env,
        })
      );
    return {
      projectDir,
      script: (lines: readonly string[]) => shell([...scriptOf(yaml, 'before_script'), ...lines]),
      afterScript: () => shell(scriptOf(yaml, 'after_script')),
      /** after_script once more, with a token of its own (each token is good for one call). */
      afterScriptAgain: async () => {
        env.JIT_DONE_TOKEN = await idToken(claims);
        return shell(scriptOf(yaml, 'after_script'));
      },
    };
  };

  const grantState = async (grantId: string) => {
    return (await callApi(sandbox.ready, 'dave', 'GET', `/grants/${grantId}`)).body.state as string;
  };

  it('gets credentials the deploy can use without printing them, and after_script ends the grant (again: a note)', {
    timeout: 120_000,
  }, async () => {
    const { projectDir, script, afterScript, afterScriptAgain } = await job({ pipeline_id: '5101', job_id: '6101' });
    const deploy = await script([
      `${AWS_CLI} sts get-caller-identity --endpoint-url ${sandbox.ready.awsEndpoint} --query Arn --output text`,
      'echo "region=$AWS_REGION grant=$JIT_GRANT_ID"',
      'printf "%s\\n%s\\n%s\\n" "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" > secrets',
    ]);
    expect(deploy.code, deploy.stderr).toBe(0);
    const grantId = /grant=(g-\S+)/.exec(deploy.stdout)?.[1] as string;
    expect(deploy.stdout).toContain(`arn:aws:sts::123456789012:assumed-role/staging-deploy/ci.5101.${grantId}`);
    expect(deploy.stdout).toContain('region=eu-central-1');
    const secrets = readFileSync(join(projectDir, 'secrets'), 'utf8').trim().split('\n');
    expect(secrets.every((secret) => secret.length > 0)).toBe(true);
    for (const secret of secrets) expect(deploy.stdout + deploy.stderr).not.toContain(secret);

    const after = await afterScript();
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).toContain(`${grantId} is ENDED`);
    expect(await grantState(grantId)).toBe('ENDED');
    const again = await afterScriptAgain();
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`note: nothing to end: grant ${grantId} is ENDED`);
  });

  it('a refused job stops in before_script (not after eval of nothing), and after_script has nothing to end', {
    timeout: 60_000,
  }, async () => {
    const { script, afterScript } = await job({ pipeline_id: '5102', job_id: '6102', ref_protected: 'false' });
    const deploy = await script(['echo "the deploy ran"']);
    expect(deploy.code).not.toBe(0);
    expect(deploy.stdout).not.toContain('the deploy ran');
    expect(deploy.stderr).toContain('denied by policy `ci-protected-refs-only`');
    const after = await afterScript();
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('no grant was opened, nothing to end');
  });
});
