/**
 * CI token verification: the first token of a cold function (OIDC discovery + JWKS fetch from the
 * issuer) against warm ones (key set cached in module scope), a ciDeploy decision, and what
 * unauthenticated calls cost: a token refused by its algorithm, and tokens while the issuer is down. Prints
 * ratios measured in this one run, against a local issuer on 127.0.0.1 (a real issuer is further).
 * Run: tsx bench/ciToken.ts
 */
import { performance } from 'node:perf_hooks';
import { SignJWT } from 'jose';
import { cedarPolicyEngine } from '../functions/adapters/cedarPolicyEngine.js';
import { joseTokenVerifier } from '../functions/adapters/oidc/joseTokenVerifier.js';
import { loadConfig } from '../functions/config/loadConfig.js';
import { workloadOf } from '../functions/domain/workload.js';
import { LOCAL_AUDIENCE, startLocalIssuer } from '../test/helpers/localIssuer.js';

const WARM = 500;
const issuer = await startLocalIssuer();
try {
  const { jwksUri: _, ...discovering } = issuer.config();
  const verifier = joseTokenVerifier([discovering], { now: () => new Date() });
  const tokens = await Promise.all(Array.from({ length: WARM + 1 }, () => issuer.mint()));

  const coldStart = performance.now();
  const first = await verifier.verify(tokens[0]!);
  const coldMs = performance.now() - coldStart;

  const warmStart = performance.now();
  for (const token of tokens.slice(1)) await verifier.verify(token);
  const warmMs = (performance.now() - warmStart) / WARM;

  const config = await loadConfig('config');
  const engine = cedarPolicyEngine(config.policies);
  const role = config.catalog.roles.get('staging-deploy')!;
  const facts = {
    workload: workloadOf(first),
    role,
    templateId: 'service-deploy-staging',
    inputs: { service: 'orders' },
    actions: ['cloudformation:ExecuteChangeSet'],
    resources: ['arn:aws:cloudformation:eu-central-1:123456789012:stack/orders-staging/*'],
    durationSeconds: 1800,
    scopeWidth: 1,
    outlivingActions: [],
    at: new Date(),
  };
  await engine.decideWorkload(facts);
  const decideStart = performance.now();
  for (let i = 0; i < WARM; i++) await engine.decideWorkload(facts);
  const decideMs = (performance.now() - decideStart) / WARM;

  console.log(`first token (discovery + JWKS fetch + verify): ${coldMs.toFixed(2)} ms`);
  console.log(`warm token verify (cached keys), mean of ${WARM}:  ${warmMs.toFixed(3)} ms`);
  console.log(`ciDeploy decision, mean of ${WARM}:              ${decideMs.toFixed(3)} ms`);
  console.log(
    `cold / warm verify: ${(coldMs / warmMs).toFixed(1)}x; JWKS fetches for ${WARM + 1} tokens: ${issuer.jwksFetches()}`
  );

  // Unauthenticated calls against a trusted issuer: an HS256 token (refused from its header) and
  // tokens while the issuer's keys cannot be fetched (failures remembered): how many fetches each costs.
  const hostile = await startLocalIssuer();
  try {
    const { jwksUri: _unused, ...cold } = hostile.config('hostile');
    const refusing = joseTokenVerifier([cold], { now: () => new Date() });
    const hs256 = await new SignJWT({ sub: 'x', jti: 'x' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(hostile.issuer)
      .setAudience(LOCAL_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('a-shared-secret-of-32-bytes-long!'));
    const hsStart = performance.now();
    for (let i = 0; i < WARM; i++) await refusing.verify(hs256).catch(() => undefined);
    const hsMs = (performance.now() - hsStart) / WARM;
    const hsFetches = hostile.discoveryFetches() + hostile.jwksFetches();
    hostile.fail(500);
    const down = await Promise.all(Array.from({ length: WARM }, () => hostile.mint()));
    const downStart = performance.now();
    for (const token of down) await refusing.verify(token).catch(() => undefined);
    const downMs = (performance.now() - downStart) / WARM;
    console.log(
      `HS256 token refused from its header, mean of ${WARM}: ${hsMs.toFixed(3)} ms (issuer fetches: ${hsFetches})`
    );
    console.log(
      `issuer down, mean of ${WARM} tokens: ${downMs.toFixed(3)} ms; discovery fetches: ${hostile.discoveryFetches()} (backoff 2 s doubling to 60 s)`
    );
  } finally {
    await hostile.close();
  }
} finally {
  await issuer.close();
}
