/**
 * One cold start of the policy engine, for bench/cedar.ts: bundled and run in a fresh process as
 * a Lambda runs its bundle. Prints one line of JSON: milliseconds (wall, and CPU of this process)
 * for the WASM load, the configuration (files read, policies parsed and validated), the first
 * answer and a second one.
 *
 *   node <bundle>/index.mjs <config dir>      (JIT_POLICY_SCHEMA=<schema file>)
 */
import { performance } from 'node:perf_hooks';

const cpuAtStart = process.cpuUsage();
const cpuMs = () => {
  const used = process.cpuUsage(cpuAtStart);
  return (used.user + used.system) / 1000;
};
const started = performance.now();
const { cedar } = await import('../functions/policy/cedar.js');
const wasmLoaded = performance.now();
const wasmCpu = cpuMs();
const { loadConfig } = await import('../functions/config/loadConfig.js');
const { cedarPolicyEngine } = await import('../functions/adapters/cedarPolicyEngine.js');
const imported = performance.now();
const importedCpu = cpuMs();

const config = await loadConfig(process.argv[2] ?? 'config');
const configured = performance.now();
const configuredCpu = cpuMs();
const engine = cedarPolicyEngine(config.policies);
const role = config.catalog.roles.get('prod-read');
if (role === undefined) throw new Error('the benchmark expects the example catalog (role prod-read)');
const facts = {
  requester: 'alice',
  requesterGroups: ['developers'],
  role,
  actions: ['s3:GetObject'],
  resources: ['*'],
  durationSeconds: 1800,
  reason: 'first answer after a cold start',
  ticket: 'INC-1',
  at: new Date(),
  scopeWidth: 1,
  elevationsInWindow: 0,
  breakGlass: false,
  outlivingActions: [],
};
await engine.decideRequest(facts);
const answered = performance.now();
const answeredCpu = cpuMs();
await engine.decideRequest({ ...facts, reason: 'second answer' });
const again = performance.now();

process.stdout.write(
  `${JSON.stringify({
    cedar: cedar.getCedarVersion(),
    processToStart: started,
    wasmLoad: wasmLoaded - started,
    otherImports: imported - wasmLoaded,
    config: configured - imported,
    firstAnswer: answered - configured,
    secondAnswer: again - answered,
    total: answered - started,
    wasmLoadCpu: wasmCpu,
    configCpu: configuredCpu - importedCpu,
    firstAnswerCpu: answeredCpu - configuredCpu,
    totalCpu: answeredCpu,
  })}\n`
);
