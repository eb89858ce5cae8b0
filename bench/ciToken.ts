/**
 * CI token verification: the first token of a cold function (OIDC discovery + JWKS fetch from the
 * issuer) against warm ones (key set cached in module scope), and a ciDeploy decision. Prints
 * ratios measured in this one run, against a local issuer on 127.0.0.1 (a real issuer is further).
 * Run: tsx bench/ciToken.ts
 */
import { performance } from 'node:perf_hooks';
import { cedarPolicyEngine } from '../functions/adapters/cedarPolicyEngine.js';
import { joseTokenVerifier } from '../functions/adapters/oidc/joseTokenVerifier.js';
import { loadConfig } from '../functions/config/loadConfig.js';
import { workloadOf } from '../functions/domain/workload.js';
import { startLocalIssuer } from '../test/helpers/localIssuer.js';

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
} finally {
  await issuer.close();
}
