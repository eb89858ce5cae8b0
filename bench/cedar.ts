/**
 * Cedar in the broker: the one-time WASM load and how many request decisions per second the
 * engine makes with a realistic policy set (the examples plus generated per-team variants, ≥ 50).
 * Run: tsx bench/cedar.ts
 */
import { performance } from 'node:perf_hooks';

const loadStart = performance.now();
const { cedar } = await import('../functions/policy/cedar.js');
const wasmMs = performance.now() - loadStart;

const { loadConfig } = await import('../functions/config/loadConfig.js');
const { compilePolicies } = await import('../functions/policy/policySet.js');
const { cedarPolicyEngine } = await import('../functions/adapters/cedarPolicyEngine.js');

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
const compileStart = performance.now();
const extra = compilePolicies([{ name: 'policies/bench.cedar', text: variants }], config.policies.schema);
const compileMs = performance.now() - compileStart;
if (extra.problems.length > 0) throw new Error(extra.problems.join('\n'));
const policies = { ...config.policies, policies: [...config.policies.policies, ...extra.policies] };
const engineStart = performance.now();
const engine = cedarPolicyEngine(policies);
const engineMs = performance.now() - engineStart;

const role = (id: string) => config.catalog.roles.get(id)!;
const requests = [
  { requester: 'alice', requesterGroups: ['developers'], role: role('prod-admin'), ticket: 'INC-1' },
  { requester: 'bob', requesterGroups: ['sre'], role: role('prod-read'), ticket: 'INC-2' },
  { requester: 'erin', requesterGroups: ['developers'], role: role('staging-deploy') },
  { requester: 'carol', requesterGroups: ['sre', 'oncall'], role: role('prod-admin') },
].map((r) => ({
  actions: ['s3:GetObject', 'cloudformation:UpdateStack'],
  resources: ['*'],
  durationSeconds: 1800,
  reason: 'team-7 debugging the export',
  at: new Date('2026-11-25T10:00:00+01:00'),
  scopeWidth: 2,
  elevationsInWindow: 1,
  breakGlass: false,
  outlivingActions: [],
  ...r,
}));

/** Milliseconds for `n` decisions by `subject`, after a warm-up. */
const timeDecisions = async (subject: typeof engine, n: number): Promise<number> => {
  for (let i = 0; i < 200; i++) await subject.decideRequest(requests[i % requests.length]!);
  const start = performance.now();
  for (let i = 0; i < n; i++) await subject.decideRequest(requests[i % requests.length]!);
  return performance.now() - start;
};
const n = 5000;
// The shipped examples alone, measured in the same run: the ratio says what the extra policies cost.
const shipped = cedarPolicyEngine(config.policies);
const shippedMs = await timeDecisions(shipped, n);
const ms = await timeDecisions(engine, n);
const approvals = 5000;
const approveStart = performance.now();
for (let i = 0; i < approvals; i++) {
  await engine.mayApprove({
    approver: 'bob',
    approverGroups: ['sre'],
    requester: 'alice',
    requesterGroups: ['developers'],
    role: role('prod-admin'),
  });
}
const approveMs = performance.now() - approveStart;

console.log(`cedar-wasm ${cedar.getCedarVersion()} (lang ${cedar.getCedarLangVersion()})`);
console.log(`WASM load (first import):     ${wasmMs.toFixed(1)} ms`);
console.log(`validate ${extra.policies.length} generated policies: ${compileMs.toFixed(1)} ms`);
console.log(`engine set-up (${policies.policies.length} policies):   ${engineMs.toFixed(1)} ms`);
console.log(
  `decideRequest (3 Cedar calls): ${(n / (ms / 1000)).toFixed(0)} decisions/s, ${((ms / n) * 1000).toFixed(0)} µs each`
);
console.log(
  `  vs the ${config.policies.policies.length} shipped policies: ${(ms / shippedMs).toFixed(2)}x (${((shippedMs / n) * 1000).toFixed(0)} µs each)`
);
console.log(`mayApprove (1 Cedar call):     ${(approvals / (approveMs / 1000)).toFixed(0)} checks/s`);
