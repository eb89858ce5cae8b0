import { describe, expect, it } from 'vitest';
import { cedarPolicyEngine } from '../../functions/adapters/cedarPolicyEngine.js';
import { loadConfig } from '../../functions/config/loadConfig.js';
import type { ApprovalFacts, RequestFacts, WorkloadFacts } from '../../functions/domain/policy.js';
import type { Workload } from '../../functions/domain/workload.js';
import { compilePolicies } from '../../functions/policy/policySet.js';

/**
 * The sliced evaluation (one Cedar call over the policies that can apply, in probe form, with only
 * what they read) must decide exactly as Cedar does on the whole set, one call per action, with
 * each request validated against the schema. Random requests against the example policies and
 * policies written to reach every corner: `action` in conditions, `in` on computed entities,
 * accounts, entity attributes, policies that fail to evaluate.
 */
const config = await loadConfig('config');

const CORNERS = `
@id("c-action-in-body") @approvers("group:sre")
permit (principal, action in [Jit::Action::"request", Jit::Action::"autoApprove"], resource == Jit::Role::"staging-deploy")
when { if action == Jit::Action::"autoApprove" then context.scopeWidth <= 3 else context.durationSeconds <= 3600 };

@id("c-privileged-needs-ticket") @reason("privileged roles need a ticket")
forbid (principal, action == Jit::Action::"request", resource) when { resource.privileged && context.ticket == "" };

@id("c-security-in-account") @approvers("group:security")
permit (principal in Jit::Group::"security", action == Jit::Action::"request", resource in Jit::Account::"123456789012");

@id("c-overflowing-forbid") @reason("never reached: it fails first")
forbid (principal, action == Jit::Action::"request", resource == Jit::Role::"staging-deploy")
when { context.reason like "*overflow*" && context.durationSeconds * 9007199254740991 * 9007199254740991 > 0 };

@id("c-overflowing-permit")
permit (principal, action == Jit::Action::"breakGlass", resource)
when { context.reason like "*boom*" && context.elevationsInWindow * 9007199254740991 * 9007199254740991 > 1 };

@id("c-oncall-in-context") @approvers("dave")
permit (principal, action == Jit::Action::"request", resource == Jit::Role::"prod-read")
when { context.requesterGroups.contains(Jit::Group::"oncall") };

@id("c-weekend-glass") @maxDuration("30m")
permit (principal is Jit::User in Jit::Group::"oncall", action == Jit::Action::"breakGlass", resource)
when { context.weekday >= 6 };

@id("c-team-night") @reason("no team changes at night")
forbid (principal, action == Jit::Action::"request", resource)
when { context.reason like "*-night*" && (context.hourOfDay < 6 || context.hourOfDay >= 22) };

@id("c-team-narrow") @approvers("bob, carol")
permit (principal in Jit::Group::"developers", action == Jit::Action::"request", resource == Jit::Role::"staging-deploy")
when { context.actions.contains("cloudformation:UpdateStack") && context.scopeWidth <= 8 };

@id("c-developers-do-not-approve-developers") @reason("developers do not approve developers on prod-read")
forbid (principal, action == Jit::Action::"approve", resource == Jit::Role::"prod-read")
when { context.requester in Jit::Group::"developers" && principal in Jit::Group::"developers" };

@id("c-dave-alone") @approvers("bob")
permit (principal == Jit::User::"dave", action in [Jit::Action::"request", Jit::Action::"breakGlass"], resource)
when { context.durationSeconds <= 1800 };

@id("c-users-only-on-weekdays") @reason("weekdays only")
forbid (principal is Jit::User, action == Jit::Action::"breakGlass", resource == Jit::Role::"staging-deploy")
when { context.weekday >= 6 };

@id("c-ci-fork") @maxDuration("15m")
permit (principal is Jit::Workload, action == Jit::Action::"ciForkPullRequest", resource == Jit::Role::"staging-deploy")
when { principal.issuer == "github-actions" && principal.ownerId == "2001" && context.inputs.contains("env=staging") };

@id("c-ci-staging-env") @maxDuration("20m")
permit (principal, action in [Jit::Action::"ciDeploy", Jit::Action::"ciForkPullRequest"], resource)
when {
  action == Jit::Action::"ciDeploy" && principal.issuer == "github-actions" && principal.repositoryId != "0" &&
  principal.environment == "staging"
};
`;

const corners = compilePolicies([{ name: 'policies/corners.cedar', text: CORNERS }], config.policies.schema, {
  roles: new Set(config.catalog.roles.keys()),
  groups: config.groups,
});
const policies = { ...config.policies, policies: [...config.policies.policies, ...corners.policies] };
const sliced = cedarPolicyEngine(policies);
const reference = cedarPolicyEngine(policies, { evaluation: 'perAction' });

/** A small seeded generator (mulberry32), so a failure names a case that can be replayed. */
const random = (seed: number) => {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const some = <T>(items: readonly T[]): T[] => items.filter(() => next() < 0.4);
  return { next, pick, some };
};

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'mallory'];
const GROUPS = ['developers', 'sre', 'security', 'oncall', 'auditors'];
const ACTIONS = ['s3:GetObject', 's3:ListBucket', 'cloudformation:UpdateStack', 'dynamodb:Query', 'iam:PassRole'];
const OUTLIVING = ['iam:PassRole', 'sts:AssumeRole'];
const REASONS = ['team-7 debugging the export', 'overflow test', 'boom', 'team-3-night fix', ''];
const roles = [...config.catalog.roles.values()];

const requestFacts = (r: ReturnType<typeof random>): RequestFacts => {
  const actions = r.some([...ACTIONS, 'sts:AssumeRole']);
  const ticket = r.pick([undefined, 'INC-1', 'CHG-2']);
  return {
    requester: r.pick(USERS),
    requesterGroups: r.some(GROUPS),
    role: r.pick(roles),
    actions: actions.length > 0 ? actions : ['s3:GetObject'],
    resources: r.pick([['*'], ['arn:aws:s3:::bucket/*']]),
    durationSeconds: r.pick([900, 1800, 3600, 7200]),
    reason: r.pick(REASONS),
    ...(ticket === undefined ? {} : { ticket }),
    at: new Date(Date.UTC(2026, 10, 23) + Math.floor(r.next() * 7 * 24) * 3600_000),
    scopeWidth: 1 + Math.floor(r.next() * 15),
    elevationsInWindow: Math.floor(r.next() * 12),
    breakGlass: r.next() < 0.3,
    outlivingActions: actions.filter((a) => OUTLIVING.includes(a)),
  };
};

const approvalFacts = (r: ReturnType<typeof random>): ApprovalFacts => ({
  approver: r.pick(USERS),
  approverGroups: r.some(GROUPS),
  requester: r.pick(USERS),
  requesterGroups: r.some(GROUPS),
  role: r.pick(roles),
});

const workloadFacts = (r: ReturnType<typeof random>): WorkloadFacts => {
  const owner = r.pick(['example-org', 'someone-else']);
  const workload: Workload = {
    platform: r.pick(['github', 'gitlab'] as const),
    issuerId: 'github-actions',
    repository: `${owner}/app`,
    repositoryId: String(Math.floor(r.next() * 5)),
    owner,
    ownerId: owner === 'example-org' ? '2001' : '7',
    ref: r.pick(['refs/heads/main', 'refs/heads/feature']),
    refType: 'branch',
    refProtected: r.next() < 0.7,
    environment: r.pick(['', 'staging', 'production']),
    workflowRef: r.pick([
      'example-org/deploy-workflows/.github/workflows/deploy.yml@refs/heads/main',
      'example-org/app/.github/workflows/x.yml@refs/heads/main',
    ]),
    workflowSha: r.pick(['', 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2']),
    eventName: r.pick(['push', 'pull_request']),
    runnerEnvironment: 'github-hosted',
    isForkPullRequest: r.next() < 0.3,
    runId: '1',
    runAttempt: '1',
    jobId: r.pick(['', '42']),
    actor: 'alice',
    subject: 'repo:example-org/app:ref:refs/heads/main',
  };
  const actions = r.some(ACTIONS);
  return {
    workload,
    role: r.pick(roles),
    templateId: r.pick(['service-deploy-staging', 'other']),
    inputs: r.pick<Record<string, string>>([{}, { env: 'staging' }, { env: 'prod', service: 'api' }]),
    actions,
    resources: ['*'],
    durationSeconds: r.pick([900, 1800]),
    scopeWidth: 1 + Math.floor(r.next() * 5),
    outlivingActions: actions.filter((a) => OUTLIVING.includes(a)),
    at: new Date(Date.UTC(2026, 10, 23) + Math.floor(r.next() * 7 * 24) * 3600_000),
  };
};

describe('sliced evaluation decides as Cedar does on the whole policy set', () => {
  it('compiles the corner policies', () => {
    expect(corners.problems).toEqual([]);
  });

  it('agrees on 400 random requests, and they reach every kind of answer', async () => {
    const r = random(15);
    const seen = { eligible: 0, denied: 0, autoApproved: 0, breakGlass: 0, failedPolicy: 0 };
    for (let i = 0; i < 400; i++) {
      const facts = requestFacts(r);
      const expected = await reference.decideRequest(facts);
      expect(await sliced.decideRequest(facts), `case ${i}: ${JSON.stringify(facts)}`).toEqual(expected);
      seen.eligible += expected.eligible ? 1 : 0;
      seen.denied += expected.eligible ? 0 : 1;
      seen.autoApproved += expected.autoApprove ? 1 : 0;
      seen.breakGlass += expected.breakGlassAllowed ? 1 : 0;
      seen.failedPolicy += expected.messages.some((m) => m.includes('overflow')) ? 1 : 0;
    }
    for (const [kind, count] of Object.entries(seen)) expect(count, kind).toBeGreaterThan(0);
  });

  it('agrees on 200 random approvals, allowed and forbidden', async () => {
    const r = random(16);
    const outcomes = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const facts = approvalFacts(r);
      const expected = await reference.mayApprove(facts);
      expect(await sliced.mayApprove(facts), `case ${i}: ${JSON.stringify(facts)}`).toEqual(expected);
      outcomes.add(expected.allowed ? 'allowed' : `forbidden by ${expected.forbiddenBy.join()}`);
    }
    expect([...outcomes].sort()).toEqual([
      'allowed',
      'forbidden by c-developers-do-not-approve-developers',
      'forbidden by prod-admin-approver-outside-requester-groups',
    ]);
  });

  it('agrees on 500 random CI deploys, forks included', async () => {
    const r = random(17);
    const seen = { allowed: 0, denied: 0, forkAllowed: 0 };
    for (let i = 0; i < 500; i++) {
      const facts = workloadFacts(r);
      const expected = await reference.decideWorkload(facts);
      expect(await sliced.decideWorkload(facts), `case ${i}: ${JSON.stringify(facts)}`).toEqual(expected);
      seen.allowed += expected.allowed ? 1 : 0;
      seen.denied += expected.allowed ? 0 : 1;
      seen.forkAllowed += expected.allowed && facts.workload.isForkPullRequest ? 1 : 0;
    }
    for (const [kind, count] of Object.entries(seen)) expect(count, kind).toBeGreaterThan(0);
  });

  it('asks Cedar about the text of a policy whose JSON form JavaScript cannot hold exactly', async () => {
    // 9007199254740993 is 2^53 + 1: as a JavaScript number it is 9007199254740992, which would
    // make this permit hold for a scope width of 0 instead of 1.
    const precise = compilePolicies(
      [
        {
          name: 'policies/precise.cedar',
          text: `@id("beyond-double-precision") @approvers("carol")
permit (principal, action == Jit::Action::"request", resource == Jit::Role::"staging-deploy")
when { context.scopeWidth + 9007199254740992 == 9007199254740993 };`,
        },
      ],
      config.policies.schema
    );
    expect(precise.problems).toEqual([]);
    const engine = cedarPolicyEngine({ ...config.policies, policies: precise.policies });
    const role = config.catalog.roles.get('staging-deploy') as RequestFacts['role'];
    const widths = [0, 1, 2];
    const answers = await Promise.all(
      widths.map((scopeWidth) =>
        engine.decideRequest({ ...requestFacts(random(1)), role, scopeWidth, breakGlass: false })
      )
    );
    expect(answers.map((a) => a.eligible)).toEqual([false, true, false]);
  });

  it('builds requests that validate against the schema (the reference validates each one)', async () => {
    const decision = await reference.decideRequest(requestFacts(random(3)));
    expect(decision.messages.filter((m) => /validation|does not match|unexpected/i.test(m))).toEqual([]);
    const allowed = await reference.decideRequest({
      ...requestFacts(random(3)),
      requester: 'alice',
      requesterGroups: ['developers'],
      role: config.catalog.roles.get('prod-read') as RequestFacts['role'],
      breakGlass: false,
    });
    expect(allowed.eligible).toBe(true);
  });
});
