import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { cedarPolicyEngine } from '../adapters/cedarPolicyEngine.js';
import { iamDataActionCatalog } from '../adapters/iamDataActionCatalog.js';
import { narrowScope } from '../app/narrowScope.js';
import type { BrokerConfig } from '../config/brokerConfig.js';
import { describeIssues } from '../config/describeIssues.js';
import { loadConfig } from '../config/loadConfig.js';
import { ConfigurationError } from '../domain/errors.js';
import { outlivingActions } from '../domain/sessionGuards.js';
import type { PolicyEngine } from '../ports.js';

/**
 * Policy tests as data: config/policy-tests/*.json, each a list of cases that say what the policies
 * must decide for a request (or an approval). Run by `npm test` (test/unit/policyTests.test.ts) and
 * on their own: `tsx functions/policy/runPolicyTests.ts [configDir]` — one line per case, exit 1 on
 * any failure. See docs/policy.md.
 */
/** A CI job for `ciDeploy` cases: the Workload's attributes, defaulting to a protected main branch. */
const workloadSchema = z.strictObject({
  platform: z.enum(['github', 'gitlab']).default('github'),
  /** The issuer's id in ci.json. */
  issuer: z.string().default('github-actions'),
  repository: z.string().default('example-org/app'),
  repositoryId: z.string().default('1001'),
  owner: z.string().default('example-org'),
  ownerId: z.string().default('2001'),
  ref: z.string().default('refs/heads/main'),
  refType: z.string().default('branch'),
  refProtected: z.boolean().default(true),
  environment: z.string().default(''),
  workflowRef: z.string().default(''),
  workflowSha: z.string().default(''),
  eventName: z.string().default('push'),
  runnerEnvironment: z.string().default('github-hosted'),
  isForkPullRequest: z.boolean().default(false),
});

const caseSchema = z.strictObject({
  name: z.string().min(1),
  given: z.strictObject({
    /** A person's request; or `workload` for a CI job's. */
    requester: z.string().min(1).default(''),
    /** Ask `ciDeploy` (and `ciForkPullRequest` for a fork) for this CI job instead. */
    workload: workloadSchema.optional(),
    template: z.string().default(''),
    inputs: z.record(z.string(), z.string()).default({}),
    /** Defaults to the requester's groups in groups.json. */
    groups: z.array(z.string()).optional(),
    role: z.string().min(1),
    action: z.string().optional(),
    actions: z.array(z.string()).optional(),
    /** Defaults to the role's first ceiling resource. */
    resources: z.array(z.string()).optional(),
    durationSeconds: z.number().int().default(1800),
    reason: z.string().default('policy test case'),
    ticket: z.string().optional(),
    /** ISO time; the policies see it in the configured time zone. */
    at: z.string().default('2026-11-25T10:00:00+01:00'),
    breakGlass: z.boolean().default(false),
    elevationsInWindow: z.number().int().min(0).default(0),
    /** Overrides the width computed from the IAM action catalog. */
    scopeWidth: z.number().int().min(0).optional(),
    /** Ask `approve` instead: may this approver approve the requester's request? */
    approver: z.string().optional(),
    approverGroups: z.array(z.string()).optional(),
  }),
  expect: z.strictObject({
    eligible: z.boolean().optional(),
    autoApprove: z.boolean().optional(),
    breakGlassAllowed: z.boolean().optional(),
    requiredApprovals: z.number().int().optional(),
    approvers: z.array(z.string()).optional(),
    pendingWindowSeconds: z.number().int().optional(),
    maxDurationSeconds: z.number().int().optional(),
    permittedBy: z.array(z.string()).optional(),
    forbiddenBy: z.array(z.string()).optional(),
    messageContains: z.string().optional(),
    mayApprove: z.boolean().optional(),
  }),
});
const caseFileSchema = z
  .array(
    caseSchema.refine((c) => c.given.workload !== undefined || c.given.requester !== '', {
      message: 'a case names a requester (a person) or a workload (a CI job)',
      path: ['given', 'requester'],
    })
  )
  .min(1, 'a policy test file holds at least one case');
type PolicyTestCase = z.output<typeof caseSchema>;

interface CaseResult {
  readonly file: string;
  readonly name: string;
  readonly passed: boolean;
  readonly failures: readonly string[];
}

const POLICY_TESTS_DIR = 'policy-tests';

const sameSet = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

/** Runs one case against `engine`; every expectation that does not hold is one failure line. */
const runCase = async (config: BrokerConfig, engine: PolicyEngine, testCase: PolicyTestCase): Promise<string[]> => {
  const { given, expect } = testCase;
  const role = config.catalog.roles.get(given.role);
  if (role === undefined) return [`role '${given.role}' is not in the catalog`];
  const groupsOf = (user: string) => [...config.groups].filter(([, members]) => members.includes(user)).map(([g]) => g);
  const groups = given.groups ?? groupsOf(given.requester);
  const failures: string[] = [];
  const check = (what: string, ok: boolean, actual: unknown, expected: unknown) => {
    if (!ok) failures.push(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  };
  const checkMessages = (messages: readonly string[]) => {
    const wanted = expect.messageContains;
    if (wanted !== undefined)
      check(
        'messages',
        messages.some((m) => m.includes(wanted)),
        messages,
        wanted
      );
  };

  if (given.approver !== undefined) {
    const answer = await engine.mayApprove({
      approver: given.approver,
      approverGroups: given.approverGroups ?? groupsOf(given.approver),
      requester: given.requester,
      requesterGroups: groups,
      role,
    });
    if (expect.mayApprove !== undefined)
      check('mayApprove', answer.allowed === expect.mayApprove, answer.allowed, expect.mayApprove);
    if (expect.forbiddenBy)
      check('forbiddenBy', sameSet(answer.forbiddenBy, expect.forbiddenBy), answer.forbiddenBy, expect.forbiddenBy);
    checkMessages(answer.messages);
    return failures;
  }

  const actions = given.actions ?? (given.action ? [given.action] : ['s3:GetObject']);
  const resources = given.resources ?? role.scopeCeiling.resources.slice(0, 1);
  const scopeWidth =
    given.scopeWidth ?? (await narrowScope(iamDataActionCatalog(), role, { actions, resources })).privilegeWidth;

  if (given.workload !== undefined) {
    const { issuer, ...claims } = given.workload;
    const answer = await engine.decideWorkload({
      workload: { ...claims, issuerId: issuer, runId: '1', runAttempt: '1', jobId: '1', actor: '', subject: '' },
      role,
      templateId: given.template,
      inputs: given.inputs,
      actions,
      resources,
      durationSeconds: given.durationSeconds,
      scopeWidth,
      outlivingActions: outlivingActions(actions),
      at: new Date(given.at),
    });
    if (expect.eligible !== undefined)
      check('eligible', answer.allowed === expect.eligible, answer.allowed, expect.eligible);
    if (expect.maxDurationSeconds !== undefined && answer.allowed) {
      check(
        'maxDurationSeconds',
        answer.maxDurationSeconds === expect.maxDurationSeconds,
        answer.maxDurationSeconds,
        expect.maxDurationSeconds
      );
    }
    for (const key of ['permittedBy', 'forbiddenBy'] as const) {
      const expected = expect[key];
      if (expected !== undefined) check(key, sameSet(answer[key], expected), answer[key], expected);
    }
    checkMessages(answer.messages);
    return failures;
  }
  const decision = await engine.decideRequest({
    requester: given.requester,
    requesterGroups: groups,
    role,
    actions,
    resources,
    durationSeconds: given.durationSeconds,
    reason: given.reason,
    ...(given.ticket === undefined ? {} : { ticket: given.ticket }),
    at: new Date(given.at),
    scopeWidth,
    elevationsInWindow: given.elevationsInWindow,
    breakGlass: given.breakGlass,
    outlivingActions: outlivingActions(actions),
  });
  for (const key of [
    'eligible',
    'autoApprove',
    'breakGlassAllowed',
    'requiredApprovals',
    'pendingWindowSeconds',
    'maxDurationSeconds',
  ] as const) {
    if (expect[key] !== undefined) check(key, decision[key] === expect[key], decision[key], expect[key]);
  }
  for (const key of ['approvers', 'permittedBy', 'forbiddenBy'] as const) {
    const expected = expect[key];
    if (expected !== undefined) check(key, sameSet(decision[key], expected), decision[key], expected);
  }
  checkMessages(decision.messages);
  return failures;
};

/** Loads the configuration (policies validated as at start) and runs every case of every file. */
const runPolicyTests = async (configDir: string): Promise<CaseResult[]> => {
  const config = await loadConfig(configDir);
  const engine = cedarPolicyEngine(config.policies);
  const dir = join(configDir, POLICY_TESTS_DIR);
  const files = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  const results: CaseResult[] = [];
  for (const name of files) {
    const file = `${POLICY_TESTS_DIR}/${name}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(join(dir, name), 'utf8'));
    } catch (error) {
      results.push({ file, name: '(file)', passed: false, failures: [`not valid JSON: ${(error as Error).message}`] });
      continue;
    }
    const cases = caseFileSchema.safeParse(parsed);
    if (!cases.success) {
      results.push({ file, name: '(file)', passed: false, failures: describeIssues(cases.error.issues) });
      continue;
    }
    for (const testCase of cases.data) {
      let failures: string[];
      try {
        failures = await runCase(config, engine, testCase);
      } catch (error) {
        failures = [`threw ${(error as Error).name}: ${(error as Error).message}`];
      }
      results.push({ file, name: testCase.name, passed: failures.length === 0, failures });
    }
  }
  return results;
};

const main = async (): Promise<number> => {
  const configDir = process.argv[2] ?? 'config';
  let results: CaseResult[];
  try {
    results = await runPolicyTests(configDir);
  } catch (error) {
    process.stderr.write(`${error instanceof ConfigurationError ? error.message : (error as Error).stack}\n`);
    return 1;
  }
  for (const r of results) {
    process.stdout.write(`${r.passed ? '✓' : '✗'} ${r.file} › ${r.name}\n`);
    for (const f of r.failures) process.stdout.write(`    ${f}\n`);
  }
  const failed = results.filter((r) => !r.passed).length;
  process.stdout.write(`\n${results.length - failed} passed, ${failed} failed (${results.length} cases)\n`);
  return failed === 0 && results.length > 0 ? 0 : 1;
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then((code) => process.exit(code));
}

export type { CaseResult, PolicyTestCase };
export { runPolicyTests };
