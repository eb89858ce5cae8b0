import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { masksIn, runnerFiles } from '../helpers/githubRunner.js';
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

  /** What the broker answers a deploy: a vend for grant g-1, a session of the example account. */
  const vendAnswer = (credentials = credentialsExpiringIn(1_800_000, NOW)) =>
    jsonResponse(200, {
      grantId: 'g-1',
      role: 'staging-deploy',
      accountId: '123456789012',
      sessionArn: 'arn:aws:sts::123456789012:assumed-role/staging-deploy/ci.7001.g-1',
      expiresAt: credentials.Expiration,
      credentials,
    });

  it('on GitHub: mints a token for the audience, masks all three credential values and hands them to the next steps', async () => {
    const runner = runnerFiles(mkdtempSync(join(dir, 'gh-')));
    const credentials = credentialsExpiringIn(1_800_000, NOW);
    const network = githubAndBroker(() => vendAnswer(credentials));
    const { context, stdout, stderr } = fakeContext({
      env: { ...GITHUB, ...runner.files },
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
      '--region',
      'eu-central-1',
    ];
    expect(await runCli(argv, context)).toBe(0);

    const [mint, call] = network.sent;
    expect(mint?.url.searchParams.get('audience')).toBe('jit-broker.example-org');
    expect(mint?.url.searchParams.get('api-version')).toBe('2.0');
    expect(mint?.headers.authorization).toBe('Bearer runner-request-token');
    expect(call?.url.href).toBe('https://broker.example.com/ci/credentials');
    expect(call?.headers.authorization).toBe('Bearer job-token-1');
    expect(JSON.parse(call?.body ?? '{}')).toEqual({
      template: 'service-deploy-staging',
      inputs: { service: 'orders' },
      durationSeconds: 1800,
    });
    const { masked, rest } = masksIn(stderr());
    expect(masked).toEqual([credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken]);
    expect(stdout()).toBe('');
    for (const secret of masked) expect(rest).not.toContain(secret);
    expect(rest).toContain(
      'Grant g-1 (staging-deploy, arn:aws:sts::123456789012:assumed-role/staging-deploy/ci.7001.g-1)'
    );
    expect(runner.read('GITHUB_ENV')).toEqual({
      AWS_ACCESS_KEY_ID: credentials.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.SecretAccessKey,
      AWS_SESSION_TOKEN: credentials.SessionToken,
      AWS_CREDENTIAL_EXPIRATION: credentials.Expiration,
      AWS_REGION: 'eu-central-1',
      AWS_DEFAULT_REGION: 'eu-central-1',
      JIT_GRANT_ID: 'g-1',
    });
    expect(runner.read('GITHUB_OUTPUT')).toEqual({
      'grant-id': 'g-1',
      'aws-account-id': '123456789012',
      'authenticated-arn': 'arn:aws:sts::123456789012:assumed-role/staging-deploy/ci.7001.g-1',
      'aws-expiration': credentials.Expiration,
    });
  });

  it('--json prints what was granted without the secrets; --with-secrets is needed for them', async () => {
    const credentials = credentialsExpiringIn(1_800_000, NOW);
    const argv = ['ci', 'credentials', '--template', 't', '--token-env', 'JIT_TOKEN', '--json'];
    const env = { HOME: '/nonexistent-home', JIT_API_URL: 'https://broker.example.com', JIT_TOKEN: 'gitlab-token' };
    const facts = fakeContext({ env, fetch: fakeFetch(() => vendAnswer(credentials)).fetch });
    expect(await runCli(argv, facts.context)).toBe(0);
    expect(JSON.parse(facts.stdout())).toEqual({
      grantId: 'g-1',
      role: 'staging-deploy',
      accountId: '123456789012',
      sessionArn: 'arn:aws:sts::123456789012:assumed-role/staging-deploy/ci.7001.g-1',
      expiresAt: credentials.Expiration,
      expiration: credentials.Expiration,
    });
    for (const secret of [credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken]) {
      expect(facts.stdout() + facts.stderr()).not.toContain(secret);
    }
    const secrets = fakeContext({ env, fetch: fakeFetch(() => vendAnswer(credentials)).fetch });
    expect(await runCli([...argv, '--with-secrets'], secrets.context)).toBe(0);
    expect(JSON.parse(secrets.stdout()).credentials).toEqual(credentials);
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
    expect(await runCli([...argv, '--region', 'eu-west-1'], context)).toBe(0);
    expect(network.sent[0]?.headers.authorization).toBe('Bearer gitlab-token');
    expect(stdout()).toContain('export JIT_GRANT_ID=g-2');
    expect(stdout()).toContain(`export AWS_SECRET_ACCESS_KEY=${credentials.SecretAccessKey}`);
    expect(stdout()).toContain(`export AWS_CREDENTIAL_EXPIRATION=${credentials.Expiration}`);
    expect(stdout()).toContain('export AWS_REGION=eu-west-1\nexport AWS_DEFAULT_REGION=eu-west-1');
  });

  it('a second done, or done on a grant that expired or was revoked, is a note and exit 0', async () => {
    const network = githubAndBroker(() =>
      brokerError(409, 'ILLEGAL_TRANSITION', 'grant g-1 is EXPIRED and cannot finish: it has ended')
    );
    const { context, stderr } = fakeContext({ env: { ...GITHUB, JIT_GRANT_ID: 'g-1' }, fetch: network.fetch });
    expect(await runCli(['ci', 'done'], context)).toBe(0);
    expect(stderr()).toBe('note: nothing to end: grant g-1 is EXPIRED and cannot finish: it has ended');
  });

  it('done on a grant that has not ended and cannot be ended still fails', async () => {
    const network = githubAndBroker(() =>
      brokerError(409, 'ILLEGAL_TRANSITION', 'grant g-1 is APPROVED and cannot finish: from APPROVED it can only …')
    );
    const { context } = fakeContext({ env: { ...GITHUB, JIT_GRANT_ID: 'g-1' }, fetch: network.fetch });
    expect(await runCli(['ci', 'done'], context)).toBe(2);
  });

  it('says a --for above the maximum in the units it was given, and a --for below 15m before asking', async () => {
    const network = githubAndBroker(() =>
      brokerError(400, 'DURATION_ABOVE_MAXIMUM', 'template t allows a deploy of at most 30m; asked for 2h')
    );
    const tooLong = fakeContext({ env: GITHUB, fetch: network.fetch });
    expect(await runCli(['ci', 'credentials', '--template', 't', '--for', '120m'], tooLong.context)).toBe(2);
    expect(tooLong.stderr()).toBe(
      'jit: 120m is too long for this deploy: template t allows a deploy of at most 30m; asked for 2h [400 DURATION_ABOVE_MAXIMUM]'
    );
    const tooShort = fakeContext({ env: GITHUB, fetch: network.fetch });
    const sentBefore = network.sent.length;
    expect(await runCli(['ci', 'credentials', '--template', 't', '--for', '5m'], tooShort.context)).toBe(1);
    expect(tooShort.stderr()).toBe('jit: 5m is shorter than a deploy may be: at least 15m');
    expect(network.sent.length).toBe(sentBefore);
  });

  it('a refused token gets a hint about its issuer and audience, not about AWS credentials', async () => {
    const network = githubAndBroker(() =>
      brokerError(401, 'TOKEN_AUDIENCE_MISMATCH', 'the token was minted for another audience')
    );
    const { context, stderr } = fakeContext({ env: GITHUB, fetch: network.fetch });
    expect(await runCli(['ci', 'credentials', '--template', 't'], context)).toBe(2);
    expect(stderr()).toContain('--audience or JIT_CI_AUDIENCE on GitHub, id_tokens aud on GitLab');
    expect(stderr()).not.toContain('AWS credentials');
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
