import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import type { CiIssuer } from '../../functions/config/ciConfig.js';
import { GITHUB_TEST_CLAIMS } from '../../sandbox/testOidcIssuer.js';

/** The audience the test configurations give the local issuer. */
const LOCAL_AUDIENCE = 'jit-broker.test';
const PINNED_WORKFLOW = GITHUB_TEST_CLAIMS.job_workflow_ref as string;

/** Claims of a GitHub Actions deploy job the example policies allow; override what a test is about. */
const githubDeployClaims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...GITHUB_TEST_CLAIMS,
  ...overrides,
});

/**
 * A CI token issuer on 127.0.0.1: RS256 keys made with jose, JWKS and OIDC discovery served over
 * HTTP, and tokens minted like GitHub's (5 minutes, a fresh jti each). `signWith: 'other-key'`
 * signs with a key the JWKS does not hold; `fail(status)` makes both documents answer that status
 * (until `fail(undefined)`), and the counters say how often each was fetched.
 */
const startLocalIssuer = async () => {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const other = await generateKeyPair('RS256');
  const kid = 'local-1';
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  let jwksFetches = 0;
  let discoveryFetches = 0;
  let failing: number | undefined;
  const server = createServer((req, res) => {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    res.setHeader('content-type', 'application/json');
    if (req.url === '/.well-known/jwks.json') jwksFetches++;
    if (req.url === '/.well-known/openid-configuration') discoveryFetches++;
    if (failing !== undefined) {
      res.statusCode = failing;
      res.end('{}');
    } else if (req.url === '/.well-known/jwks.json') {
      res.end(JSON.stringify({ keys: [jwk] }));
    } else if (req.url === '/.well-known/openid-configuration') {
      res.end(JSON.stringify({ issuer: base, jwks_uri: `${base}/.well-known/jwks.json` }));
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const mint = async (
    claims: Record<string, unknown> = githubDeployClaims(),
    options: {
      audience?: string;
      issuer?: string;
      /** Seconds relative to now. */
      expiresIn?: number;
      notBefore?: number;
      issuedAt?: number;
      jti?: string | null;
      signWith?: 'issuer' | 'other-key';
      alg?: string;
    } = {}
  ): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      ...claims,
      ...(options.jti === null ? {} : { jti: options.jti ?? randomUUID() }),
    };
    const jwt = new SignJWT(payload)
      .setProtectedHeader({ alg: options.alg ?? 'RS256', kid })
      .setIssuer(options.issuer ?? issuer)
      .setAudience(options.audience ?? LOCAL_AUDIENCE)
      .setIssuedAt(now + (options.issuedAt ?? 0))
      .setNotBefore(now + (options.notBefore ?? 0))
      .setExpirationTime(now + (options.expiresIn ?? 300));
    return jwt.sign(options.signWith === 'other-key' ? other.privateKey : privateKey);
  };

  /** Its entry in ci.json; by default in the place of GitHub's, which the example policies name. */
  const config = (id = 'github-actions'): CiIssuer => ({
    id,
    issuer,
    audience: LOCAL_AUDIENCE,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    algorithms: ['RS256'],
    platform: 'github',
  });

  return {
    issuer,
    mint,
    config,
    jwksFetches: () => jwksFetches,
    discoveryFetches: () => discoveryFetches,
    fail: (status: number | undefined) => {
      failing = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

type LocalIssuer = Awaited<ReturnType<typeof startLocalIssuer>>;

export type { LocalIssuer };
export { githubDeployClaims, LOCAL_AUDIENCE, PINNED_WORKFLOW, startLocalIssuer };
