import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { BrokerConfig } from '../functions/config/brokerConfig.js';
import type { CiIssuer } from '../functions/config/ciConfig.js';

/**
 * A TEST-ONLY OIDC issuer the sandbox offers (`npm start -- --test-oidc-issuer`, off by default),
 * so CI jobs — the GitHub Action, the GitLab template, `jit ci` — can be tried against the sandbox
 * without GitHub or GitLab. It mints GitHub-shaped and GitLab-shaped tokens for any audience and
 * claims asked for, which is exactly why nothing but this sandbox may trust it:
 *
 * - it listens on 127.0.0.1 only, and mints only for the request token printed at start (like
 *   ACTIONS_ID_TOKEN_REQUEST_TOKEN), so another page or user on the machine cannot mint;
 * - its signing key is made at start and lives in this process's memory only;
 * - it is trusted by adding it to the sandbox's configuration in memory, never to a file: a
 *   deployed broker is built from config/ files, so it can never list this issuer (and its URL is
 *   a loopback port that dies with the process).
 */

/** The audience the sandbox trusts the test issuer's tokens for (jit ci --audience, the Action's audience). */
const TEST_AUDIENCE = 'jit-broker.sandbox-test';
const TOKEN_SECONDS = 300;

/** A GitHub Actions deploy job that the example policies (config/policies/ci.cedar) allow. */
const GITHUB_TEST_CLAIMS: Readonly<Record<string, string>> = {
  sub: 'repo:example-org/app:environment:staging',
  repository: 'example-org/app',
  repository_id: '1001',
  repository_owner: 'example-org',
  repository_owner_id: '2001',
  ref: 'refs/heads/main',
  ref_type: 'branch',
  ref_protected: 'true',
  environment: 'staging',
  job_workflow_ref: 'example-org/deploy-workflows/.github/workflows/deploy.yml@refs/heads/main',
  job_workflow_sha: 'c9ed89cf4dacf01feb527c42a26e0a8920d14c61',
  event_name: 'push',
  runner_environment: 'github-hosted',
  run_id: '7001',
  run_attempt: '1',
  check_run_id: '9001',
  actor: 'octocat',
};

/** A GitLab CI deploy job that the example policies allow. */
const GITLAB_TEST_CLAIMS: Readonly<Record<string, string>> = {
  sub: 'project_path:example-org/app:ref_type:branch:ref:main',
  project_path: 'example-org/app',
  project_id: '3001',
  namespace_path: 'example-org',
  namespace_id: '4001',
  ref: 'main',
  ref_type: 'branch',
  ref_protected: 'true',
  environment: 'staging',
  ci_config_ref_uri: 'gitlab.example.com/example-org/app//.gitlab-ci.yml@refs/heads/main',
  ci_config_sha: '5e1f2b7d9c3a4e6f8a0b1c2d3e4f5a6b7c8d9e0f',
  pipeline_source: 'push',
  runner_environment: 'gitlab-hosted',
  pipeline_id: '5001',
  job_id: '6001',
  user_login: 'gitlab-user',
};

const PLATFORMS = { github: GITHUB_TEST_CLAIMS, gitlab: GITLAB_TEST_CLAIMS } as const;
type Platform = keyof typeof PLATFORMS;
/** Claims the issuer sets itself; a request cannot choose them. */
const REGISTERED = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti']);

interface TestOidcIssuer {
  /** The issuer's base URL (each platform is an issuer of its own below it: `<url>/github`, `<url>/gitlab`). */
  readonly url: string;
  /** The Bearer token the token endpoints want (what ACTIONS_ID_TOKEN_REQUEST_TOKEN is on GitHub). */
  readonly requestToken: string;
  readonly audience: string;
  /**
   * Where to ask for a token: GET with `Authorization: Bearer <requestToken>`, `audience=` and any
   * claim as a query parameter (`run_id=7002`); answers `{"value": "<jwt>"}` like GitHub's service.
   */
  readonly tokenUrls: Readonly<Record<Platform, string>>;
  /** The entries that make the sandbox trust it. */
  readonly issuers: readonly CiIssuer[];
  stop(): Promise<void>;
}

const sendJson = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
};

const bearerMatches = (request: IncomingMessage, expected: string): boolean => {
  const given = Buffer.from(/^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1] ?? '');
  const wanted = Buffer.from(expected);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
};

/** Starts the test issuer on 127.0.0.1 (a free port). */
const startTestOidcIssuer = async (): Promise<TestOidcIssuer> => {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const kid = `sandbox-test-${randomUUID()}`;
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] };
  const requestToken = randomBytes(32).toString('hex');
  let base = '';

  const mint = (platform: Platform, query: URLSearchParams): Promise<string> => {
    const claims: Record<string, string> = { ...PLATFORMS[platform] };
    for (const [name, value] of query) if (name !== 'audience' && !REGISTERED.has(name)) claims[name] = value;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...claims, jti: randomUUID() })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
      .setIssuer(`${base}/${platform}`)
      .setAudience(query.get('audience') || TEST_AUDIENCE)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + TOKEN_SECONDS)
      .sign(privateKey);
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', base);
    const [, platform, ...rest] = url.pathname.split('/');
    if (request.method !== 'GET') return sendJson(response, 405, { message: 'GET only' });
    if (url.pathname === '/jwks') return sendJson(response, 200, jwks);
    if (platform !== 'github' && platform !== 'gitlab') return sendJson(response, 404, { message: 'not found' });
    const path = rest.join('/');
    if (path === '.well-known/openid-configuration') {
      return sendJson(response, 200, { issuer: `${base}/${platform}`, jwks_uri: `${base}/jwks` });
    }
    if (path !== 'token') return sendJson(response, 404, { message: 'not found' });
    if (!bearerMatches(request, requestToken)) {
      return sendJson(response, 401, { message: 'the test issuer mints only for its request token' });
    }
    mint(platform, url.searchParams).then(
      (value) => sendJson(response, 200, { value }),
      (error: Error) => sendJson(response, 500, { message: error.message })
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = (platform: Platform): CiIssuer => ({
    id: `sandbox-test-${platform}`,
    issuer: `${base}/${platform}`,
    audience: TEST_AUDIENCE,
    jwksUri: `${base}/jwks`,
    algorithms: ['RS256'],
    platform,
  });
  return {
    url: base,
    requestToken,
    audience: TEST_AUDIENCE,
    tokenUrls: { github: `${base}/github/token`, gitlab: `${base}/gitlab/token` },
    issuers: [issuer('github'), issuer('gitlab')],
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/**
 * The configuration with the test issuer standing in for the configured issuer of each platform —
 * in memory only, never written anywhere. It keeps the configured issuer's id, because ci.json's
 * input scopes and config/policies/ci.cedar name issuers by id: a test token is then judged by
 * exactly the rules a real one would be. A platform with no configured issuer gets the test one
 * under its own id.
 */
const trustingTestIssuer = (config: BrokerConfig, issuer: TestOidcIssuer): BrokerConfig => {
  const standIns = issuer.issuers;
  const replaced = config.ci.issuers.map((configured) => {
    const test = standIns.find((candidate) => candidate.platform === configured.platform);
    return test === undefined ? configured : { ...test, id: configured.id };
  });
  const unconfigured = standIns.filter(
    (test) => !config.ci.issuers.some((configured) => configured.platform === test.platform)
  );
  return { ...config, ci: { ...config.ci, issuers: [...replaced, ...unconfigured] } };
};

export type { TestOidcIssuer };
export { GITHUB_TEST_CLAIMS, GITLAB_TEST_CLAIMS, startTestOidcIssuer, TEST_AUDIENCE, trustingTestIssuer };
