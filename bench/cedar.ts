/**
 * Cedar in the broker: decisions per second with a realistic policy set (the shipped examples plus
 * generated per-team variants), against the 5,000/s target; the same decisions asked the old way
 * in the same run (Cedar on the whole set, one validated call per action: the `perAction`
 * reference); and the cold start — WASM load, configuration validation, first answer — in fresh
 * processes running a bundle, as a Lambda does.
 *
 *   npm run bench:cedar          (BENCH_ROUNDS=7 for more rounds, BENCH_COLD_RUNS=5 cold starts)
 *
 * Rounds alternate the two ways so machine noise hits both alike. Throughput is given per core
 * from CPU time (what a Lambda with one vCPU would do) and from wall time (which other processes
 * on a shared machine slow down); docs/policy-performance.md explains the figures.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { build } from 'esbuild';
import { cedarPolicyEngine } from '../functions/adapters/cedarPolicyEngine.js';
import { loadConfig } from '../functions/config/loadConfig.js';
import type { RequestFacts } from '../functions/domain/policy.js';
import { cedar } from '../functions/policy/cedar.js';
import { compilePolicies } from '../functions/policy/policySet.js';
import type { PolicyEngine } from '../functions/ports.js';

const TARGET_PER_SECOND = 5000;
const FIRST_ANSWER_TARGET_MS = 400;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
const PER_ROUND = { sliced: 4000, perAction: 400 } as const;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const config = await loadConfig('config');
const teams = Array.from({ length: 20 }, (_, i) => `team-${i}`);
const variants = teams
  .map(
    (team, i) => `
@id("${team}-prod-read") @approvers("group:sre") @approvals("1") @pendingWindow("2h")
permit (principal in Jit::Group::"sre", action == Jit::Action::"request", resource == Jit::Role::"prod-read")
when { context.reason like "*${team}*" && context.durationSeconds <= ${1800 + i * 60} };
@id("${team}-staging") @approvers("bob, carol") @approvals("1")
permit (principal, action == Jit::Action::"request", resource == Jit::Role::"staging-deploy")
when { context.actions.contains("cloudformation:UpdateStack") && context.scopeWidth <= ${10 + i} };
@id("${team}-no-nights") @reason("no ${team} changes at night")
forbid (principal, action == Jit::Action::"request", resource == Jit::Role::"staging-deploy")
when { context.reason like "*${team}-night*" && (context.hourOfDay < 6 || context.hourOfDay >= 22) };`
  )
  .join('\n');
const extra = compilePolicies([{ name: 'policies/bench.cedar', text: variants }], config.policies.schema);
if (extra.problems.length > 0) throw new Error(extra.problems.join('\n'));
const policies = { ...config.policies, policies: [...config.policies.policies, ...extra.policies] };

const role = (id: string) => {
  const found = config.catalog.roles.get(id);
  if (found === undefined) throw new Error(`the benchmark expects the example catalog (role ${id})`);
  return found;
};
const kinds = [
  { requester: 'alice', requesterGroups: ['developers'], role: role('prod-admin'), ticket: 'INC-1' },
  { requester: 'bob', requesterGroups: ['sre'], role: role('prod-read'), ticket: 'INC-2' },
  { requester: 'erin', requesterGroups: ['developers'], role: role('staging-deploy') },
  { requester: 'carol', requesterGroups: ['sre', 'oncall'], role: role('prod-admin') },
];
const START = Date.parse('2026-11-25T10:00:00+01:00');
/** Decision `i`: the four kinds in turn (the reference workload), on a clock moving 1 ms a decision. */
const requestFor = (i: number): RequestFacts => ({
  actions: ['s3:GetObject', 'cloudformation:UpdateStack'],
  resources: ['*'],
  durationSeconds: 1800,
  reason: 'team-7 debugging the export',
  at: new Date(START + i),
  scopeWidth: 2,
  elevationsInWindow: 1,
  breakGlass: false,
  outlivingActions: [],
  ...(kinds[i % kinds.length] as (typeof kinds)[number]),
});

interface Timing {
  readonly cpuMicros: number;
  readonly wallMicros: number;
}

/** Microseconds per call of `run(i)` for i in [from, from + n): CPU time of this process, and wall time. */
const timed = async (n: number, from: number, run: (i: number) => Promise<unknown>): Promise<Timing> => {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  for (let i = from; i < from + n; i++) await run(i);
  const used = process.cpuUsage(cpu);
  return { cpuMicros: (used.user + used.system) / n, wallMicros: ((performance.now() - wall) * 1000) / n };
};

const engines = {
  sliced: cedarPolicyEngine(policies),
  perAction: cedarPolicyEngine(policies, { evaluation: 'perAction' }),
};
type Way = keyof typeof engines;

/** Rounds alternating the two ways; the median round of each. */
const compare = async (run: (engine: PolicyEngine, i: number) => Promise<unknown>) => {
  const rounds: Record<Way, Timing[]> = { sliced: [], perAction: [] };
  // Past V8's tier-up of the hot WASM functions (functions/policy/wasmTiering.ts).
  for (const way of ['sliced', 'perAction'] as const) await timed(PER_ROUND[way], 0, (i) => run(engines[way], i));
  for (let round = 0; round < ROUNDS; round++) {
    for (const way of ['perAction', 'sliced'] as const) {
      rounds[way].push(await timed(PER_ROUND[way], round * PER_ROUND[way], (i) => run(engines[way], i)));
    }
  }
  const summary = (way: Way) => ({
    cpuMicros: median(rounds[way].map((t) => t.cpuMicros)),
    wallMicros: median(rounds[way].map((t) => t.wallMicros)),
  });
  return { sliced: summary('sliced'), perAction: summary('perAction') };
};

const perSecond = (micros: number) => Math.round(1e6 / micros);
const fmt = (n: number) => n.toLocaleString('en-US');

/** Median cold start per phase; `tiering` is JIT_WASM_TIERING_BUDGET for the child (undefined: this process's). */
const coldStarts = async (tiering?: string): Promise<Record<string, number>> => {
  const dir = mkdtempSync(join(tmpdir(), 'jit-cedar-cold-'));
  try {
    await build({
      entryPoints: ['bench/cedarFirstAnswer.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      minify: true,
      outfile: join(dir, 'index.mjs'),
      external: ['@aws-sdk/*'],
      banner: {
        js: "import{createRequire as __r}from'node:module';const require=__r(import.meta.url);const __dirname=import.meta.dirname;",
      },
      logLevel: 'error',
    });
    const wasm = resolve('node_modules/@cedar-policy/cedar-wasm/nodejs/cedar_wasm_bg.wasm');
    copyFileSync(wasm, join(dir, 'cedar_wasm_bg.wasm'));
    const run = () =>
      JSON.parse(
        execFileSync(process.execPath, [join(dir, 'index.mjs'), resolve('config')], {
          cwd: dir,
          env: {
            PATH: process.env.PATH,
            JIT_POLICY_SCHEMA: resolve('functions/policy/schema.cedarschema'),
            // The budget this process runs with (JIT_WASM_TIERING_BUDGET, or the broker's), unless asked otherwise.
            ...((tiering ?? process.env.JIT_WASM_TIERING_BUDGET) === undefined
              ? {}
              : { JIT_WASM_TIERING_BUDGET: tiering ?? process.env.JIT_WASM_TIERING_BUDGET }),
          },
          encoding: 'utf8',
        })
      ) as Record<string, number>;
    run(); // warm the file cache, as Lambda's is warm for its image
    const runs = Array.from({ length: COLD_RUNS }, run);
    const keys = Object.keys(runs[0] ?? {}).filter((k) => typeof runs[0]?.[k] === 'number');
    return Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k] as number))]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

// The two ways must give the same decisions, or the comparison means nothing.
let compared = 0;
for (let i = 0; i < 400; i++) {
  const facts = requestFor(i * 997);
  const [fast, reference] = await Promise.all([
    engines.sliced.decideRequest(facts),
    engines.perAction.decideRequest(facts),
  ]);
  if (!isDeepStrictEqual(fast, reference)) {
    throw new Error(
      `decisions differ for ${JSON.stringify(facts)}:\n${JSON.stringify(fast)}\n${JSON.stringify(reference)}`
    );
  }
  compared++;
}

const requests = await compare((engine, i) => engine.decideRequest(requestFor(i)));
const approvals = await compare((engine, i) =>
  engine.mayApprove({
    approver: i % 2 === 0 ? 'bob' : 'carol',
    approverGroups: ['sre'],
    requester: 'alice',
    requesterGroups: ['developers'],
    role: role(i % 2 === 0 ? 'prod-admin' : 'prod-read'),
  })
);
const byKind: string[] = [];
for (const [k, kind] of kinds.entries()) {
  const t = await timed(2000, 0, (i) => engines.sliced.decideRequest(requestFor(i * kinds.length + k)));
  byKind.push(`${kind.requester} → ${kind.role.id} ${t.cpuMicros.toFixed(0)} µs`);
}
const cold = await coldStarts();
const coldV8Default = await coldStarts('default');

const [load1] = loadavg();
console.log(`cedar-wasm ${cedar.getCedarVersion()}, node ${process.version}, load average ${load1?.toFixed(1)}`);
console.log(
  `${policies.policies.length} policies (${config.policies.policies.length} shipped + ${extra.policies.length} generated); ${compared} decisions identical both ways\n`
);
const verdict = (ok: boolean) => (ok ? 'meets the target' : 'BELOW THE TARGET');
const line = (what: string, t: { sliced: Timing; perAction: Timing }) => {
  console.log(`${what}`);
  console.log(
    `  one sliced call:   ${fmt(perSecond(t.sliced.cpuMicros)).padStart(6)}/s per core (${t.sliced.cpuMicros.toFixed(0)} µs CPU), ${fmt(perSecond(t.sliced.wallMicros))}/s wall`
  );
  console.log(
    `  per action (ref):  ${fmt(perSecond(t.perAction.cpuMicros)).padStart(6)}/s per core (${t.perAction.cpuMicros.toFixed(0)} µs CPU), ${fmt(perSecond(t.perAction.wallMicros))}/s wall`
  );
  console.log(`  speed-up: ${(t.perAction.cpuMicros / t.sliced.cpuMicros).toFixed(1)}x (CPU)`);
};
line('decideRequest (request, auto-approve and break-glass asked together)', requests);
console.log(
  `  target ≥ ${fmt(TARGET_PER_SECOND)}/s per core: ${verdict(perSecond(requests.sliced.cpuMicros) >= TARGET_PER_SECOND)}`
);
console.log(`  by kind: ${byKind.join(', ')}`);
line('mayApprove', approvals);
console.log(`\ncold start in a fresh process (bundle, median of ${COLD_RUNS}; wall ms, CPU ms in brackets):`);
const phases = (c: Record<string, number>) =>
  `WASM load ${c.wasmLoad?.toFixed(0)} (${c.wasmLoadCpu?.toFixed(0)}), configuration ${c.config?.toFixed(0)} (${c.configCpu?.toFixed(0)}), first answer ${c.firstAnswer?.toFixed(0)} (${c.firstAnswerCpu?.toFixed(0)}); import to first answer ${c.total?.toFixed(0)} (${c.totalCpu?.toFixed(0)})`;
console.log(`  with the broker's WASM tiering: ${phases(cold)}`);
console.log(`  with V8's default tiering:      ${phases(coldV8Default)}`);
const firstAnswerMs = Math.min(cold.total ?? Number.POSITIVE_INFINITY, cold.totalCpu ?? Number.POSITIVE_INFINITY);
console.log(
  `  import to first answer ${firstAnswerMs.toFixed(0)} ms (CPU; wall on a quiet machine) — target ≤ ${FIRST_ANSWER_TARGET_MS} ms: ${verdict(firstAnswerMs <= FIRST_ANSWER_TARGET_MS)}`
);
if (perSecond(requests.sliced.cpuMicros) < TARGET_PER_SECOND || firstAnswerMs > FIRST_ANSWER_TARGET_MS) {
  process.exitCode = 1;
}
