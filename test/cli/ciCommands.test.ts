import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { brokerError, credentialsExpiringIn, fakeContext, fakeFetch, jsonResponse } from './cliFakes.js';

const NOW = new Date('2026-11-23T12:00:00Z');
const GITHUB = {
  HOME: '/nonexistent-home',
  JIT_API_URL: 'https://broker.example.com',
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://pipelines.example/idtoken?api-version=2.0',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token',
  JIT_CI_AUDIENCE: 'jit-broker.example-org',
};

describe('jit ci', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jit-ci-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** GitHub's token endpoint and the broker, faked: each token minted is a new one. */
  const githubAndBroker = (broker: (body: unknown) => Response) => {
    let minted = 0;
    return fakeFetch((request) => {
      if (request.url.host === 'pipelines.example') return jsonResponse(200, { value: `job-token-${++minted}` });
      return broker(request.body === undefined ? undefined : JSON.parse(request.body));
    });
  };

  it('on GitHub: mints a token for the audience, masks the secrets and hands the credentials to the next steps', async () => {
    const githubEnv = join(dir, 'github-env');
    writeFileSync(githubEnv, '');
    const credentials = credentialsExpiringIn(1_800_000, NOW);
    const network = githubAndBroker(() =>
      jsonResponse(200, { grantId: 'g-1', role: 'staging-deploy', expiresAt: credentials.Expiration, credentials })
    );
    const { context, stdout, stderr } = fakeContext({
      env: { ...GITHUB, GITHUB_ENV: githubEnv },
      fetch: network.fetch,
    });
    const argv = [
      'ci',
      'credentials',
      '--template',
      'service-deploy-staging',
      '--input',
      'service=orders',
      '--for',
      '30m',
    ];
    expect(await runCli(argv, context)).toBe(0);

    const [mint, call] = network.sent;
    expect(mint?.url.searchParams.get('audience')).toBe('jit-broker.example-org');
    expect(mint?.headers.authorization).toBe('Bearer runner-request-token');
    expect(call?.url.href).toBe('https://broker.example.com/ci/credentials');
    expect(call?.headers.authorization).toBe('Bearer job-token-1');
    expect(JSON.parse(call?.body ?? '{}')).toEqual({
      template: 'service-deploy-staging',
      inputs: { service: 'orders' },
      durationSeconds: 1800,
    });
    expect(stdout()).toBe(`::add-mask::${credentials.SecretAccessKey}\n::add-mask::${credentials.SessionToken}`);
    expect(readFileSync(githubEnv, 'utf8')).toBe(
      `AWS_ACCESS_KEY_ID=${credentials.AccessKeyId}\nAWS_SECRET_ACCESS_KEY=${credentials.SecretAccessKey}\nAWS_SESSION_TOKEN=${credentials.SessionToken}\nJIT_GRANT_ID=g-1\n`
    );
    expect(stderr()).not.toContain(credentials.SecretAccessKey);
  });

  it('done ends JIT_GRANT_ID with a fresh token', async () => {
    const network = githubAndBroker(() => jsonResponse(200, { id: 'g-1', state: 'ENDED' }));
    const { context, stderr } = fakeContext({ env: { ...GITHUB, JIT_GRANT_ID: 'g-1' }, fetch: network.fetch });
    expect(await runCli(['ci', 'done'], context)).toBe(0);
    expect(network.sent[1]?.url.pathname).toBe('/ci/grants/g-1/done');
    expect(network.sent[1]?.headers.authorization).toBe('Bearer job-token-1');
    expect(stderr()).toContain('g-1 is ENDED');
  });

  it('elsewhere: reads the GitLab id_tokens variable and prints export lines', async () => {
    const credentials = credentialsExpiringIn(900_000, NOW);
    const network = fakeFetch(() =>
      jsonResponse(200, { grantId: 'g-2', role: 'staging-deploy', expiresAt: credentials.Expiration, credentials })
    );
    const env = { HOME: '/nonexistent-home', JIT_API_URL: 'https://broker.example.com', JIT_TOKEN: 'gitlab-token' };
    const { context, stdout } = fakeContext({ env, fetch: network.fetch });
    const argv = ['ci', 'credentials', '--template', 't', '--input', 'service=orders', '--token-env', 'JIT_TOKEN'];
    expect(await runCli(argv, context)).toBe(0);
    expect(network.sent[0]?.headers.authorization).toBe('Bearer gitlab-token');
    expect(stdout()).toContain('export JIT_GRANT_ID=g-2');
  });

  it('prints a denial with its reason on stderr and exits 2', async () => {
    const network = githubAndBroker(() =>
      brokerError(403, 'POLICY_DENIED', 'denied by policy `ci-protected-refs-only`: ref refs/heads/x is not protected')
    );
    const { context, stderr, stdout } = fakeContext({ env: GITHUB, fetch: network.fetch });
    expect(await runCli(['ci', 'credentials', '--template', 't'], context)).toBe(2);
    expect(stderr()).toContain('ref refs/heads/x is not protected');
    expect(stdout()).toBe('');
  });

  it('says how to get a token when there is none, before calling the broker', async () => {
    const network = fakeFetch(() => jsonResponse(500, {}));
    const env = { HOME: '/nonexistent-home', JIT_API_URL: 'https://broker.example.com' };
    const { context, stderr } = fakeContext({ env, fetch: network.fetch });
    expect(await runCli(['ci', 'credentials', '--template', 't'], context)).toBe(1);
    expect(stderr()).toContain('id-token: write');
    expect(network.sent).toEqual([]);
  });
});
