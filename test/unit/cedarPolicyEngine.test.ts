import { describe, expect, it } from 'vitest';
import { cedarPolicyEngine, LIMITS } from '../../functions/adapters/cedarPolicyEngine.js';
import type { CatalogRole } from '../../functions/domain/catalog.js';
import { ValidationError } from '../../functions/domain/errors.js';
import type { RequestFacts } from '../../functions/domain/policy.js';
import { compilePolicies } from '../../functions/policy/policySet.js';
import { policySchemaText } from '../../functions/policy/schema.js';

const ROLE: CatalogRole = {
  id: 'prod-admin',
  description: 'Administrative changes',
  roleArn: 'arn:aws:iam::111122223333:role/jit/prod-admin',
  accountId: '111122223333',
  maxDurationSeconds: 4 * 3600,
  scopeCeiling: { actions: ['*'], resources: ['*'] },
};
const GROUPS = new Map([
  ['sre', ['bob', 'carol']],
  ['security', ['dave']],
  ['developers', ['alice']],
  ['oncall', ['carol']],
]);

const compile = (text: string, name = 'policies/test.cedar') =>
  compilePolicies([{ name, text }], policySchemaText(), { roles: new Set([ROLE.id]), groups: GROUPS });

const engineFor = (text: string) => {
  const { policies, problems } = compile(text);
  expect(problems).toEqual([]);
  return cedarPolicyEngine({
    policies,
    settings: { timeZone: 'Europe/Berlin', elevationWindowDays: 30 },
    schema: policySchemaText(),
  });
};

const facts = (overrides: Partial<RequestFacts> = {}): RequestFacts => ({
  requester: 'alice',
  requesterGroups: ['developers'],
  role: ROLE,
  actions: ['s3:GetObject'],
  resources: ['*'],
  durationSeconds: 1800,
  reason: 'debug the export',
  ticket: 'INC-1',
  at: new Date('2026-11-25T10:00:00+01:00'),
  scopeWidth: 1,
  elevationsInWindow: 0,
  breakGlass: false,
  outlivingActions: [],
  ...overrides,
});

const TWO_PERMITS = `
@id("a") @approvers("group:sre, dave") @approvals("1") @pendingWindow("2h") @maxDuration("3h")
permit (principal, action == Jit::Action::"request", resource == Jit::Role::"prod-admin");
@id("b") @approvers("group:sre, group:security") @approvals("2") @pendingWindow("30m") @maxDuration("1h")
permit (principal, action == Jit::Action::"request", resource) when { context.ticket like "INC-*" };
`;

describe('cedarPolicyEngine: combining the determining permits', () => {
  it('takes the most approvals, the shortest window and duration, and the approvers they share', async () => {
    const decision = await engineFor(TWO_PERMITS).decideRequest(facts());
    expect(decision).toMatchObject({
      eligible: true,
      permittedBy: ['a', 'b'],
      requiredApprovals: 2,
      pendingWindowSeconds: 1800,
      maxDurationSeconds: 3600,
      approvers: ['group:sre'],
    });
  });

  it('uses one permit as is when only it applies', async () => {
    const decision = await engineFor(TWO_PERMITS).decideRequest(facts({ ticket: undefined }));
    expect(decision).toMatchObject({
      permittedBy: ['a'],
      requiredApprovals: 1,
      pendingWindowSeconds: 7200,
      approvers: ['group:sre', 'dave'],
    });
  });

  it('denies when the permits share no approver (fails closed)', async () => {
    const engine = engineFor(`
@id("x") @approvers("bob") permit (principal, action == Jit::Action::"request", resource);
@id("y") @approvers("dave") permit (principal, action == Jit::Action::"request", resource);`);
    const decision = await engine.decideRequest(facts());
    expect(decision.eligible).toBe(false);
    expect(decision.messages.join()).toContain('name no approver in common');
  });

  it('denies a permit without @approvers when nothing auto-approves it', async () => {
    const engine = engineFor('@id("open") permit (principal, action == Jit::Action::"request", resource);');
    const decision = await engine.decideRequest(facts());
    expect(decision.eligible).toBe(false);
    expect(decision.messages.join()).toContain('name no @approvers');
  });

  it('never lets a policy raise the catalog maximum', async () => {
    const engine = engineFor(
      '@id("p") @approvers("bob") @maxDuration("12h") permit (principal, action == Jit::Action::"request", resource);'
    );
    expect((await engine.decideRequest(facts())).maxDurationSeconds).toBe(4 * 3600);
  });

  it('says which forbid denied, with its @reason, and that nothing permits otherwise', async () => {
    const engine = engineFor(`
@id("p") @approvers("bob") permit (principal, action == Jit::Action::"request", resource);
@id("no-weekends") @reason("not on weekends") forbid (principal, action == Jit::Action::"request", resource) when { context.weekday >= 6 };`);
    const saturday = await engine.decideRequest(facts({ at: new Date('2026-11-28T10:00:00+01:00') }));
    expect(saturday).toMatchObject({ eligible: false, forbiddenBy: ['no-weekends'], permittedBy: [] });
    expect(saturday.messages).toEqual(['denied by policy `no-weekends`: not on weekends']);
    const nothing = await engineFor(
      '@id("p") @approvers("bob") permit (principal, action == Jit::Action::"request", resource) when { false };'
    ).decideRequest(facts());
    expect(nothing.messages).toEqual(['no policy permits alice to request role prod-admin']);
  });
});

describe("cedarPolicyEngine: whether the requester's grants need counting", () => {
  const LIMITED = `
@id("limit") @reason("at most 3 in the window")
forbid (principal, action == Jit::Action::"request", resource == Jit::Role::"prod-admin")
when { context.elevationsInWindow >= 3 };
@id("p") @approvers("group:sre")
permit (principal, action == Jit::Action::"request", resource);
`;

  it('asks for the count on a role a policy reads it for, and not on others', () => {
    const engine = engineFor(LIMITED);
    expect(engine.readsElevations('prod-admin')).toBe(true);
    expect(engine.readsElevations('staging-deploy')).toBe(false);
  });

  it('decides with the count where a policy reads it', async () => {
    const engine = engineFor(LIMITED);
    expect((await engine.decideRequest(facts({ elevationsInWindow: 3 }))).forbiddenBy).toEqual(['limit']);
    expect((await engine.decideRequest(facts({ elevationsInWindow: 2 }))).eligible).toBe(true);
  });

  it('refuses to decide without the count where a policy reads it (Cedar would skip the erroring forbid)', async () => {
    const { elevationsInWindow: _, ...uncounted } = facts();
    await expect(engineFor(LIMITED).decideRequest(uncounted)).rejects.toThrow(/elevationsInWindow/);
    // Where nothing reads it, the decision needs no count.
    await expect(engineFor(TWO_PERMITS).decideRequest(uncounted)).resolves.toMatchObject({ eligible: true });
  });
});

describe('cedarPolicyEngine: grants that may outlive the kill', () => {
  const POLICIES = `
@id("base") @approvers("group:sre, dave") @approvals("1")
permit (principal, action == Jit::Action::"request", resource);
@id("outliving-needs-two") @approvers("group:sre, dave") @approvals("2")
permit (principal, action == Jit::Action::"request", resource) when { context.mayOutliveKill };
@id("no-chaining") @reason("no role chaining here")
forbid (principal, action == Jit::Action::"request", resource)
when { context.outlivingActions.contains("sts:AssumeRole") };
@id("ci") permit (principal, action == Jit::Action::"ciDeploy", resource)
when { principal.issuer == "github-actions" && principal.ownerId == "2" } unless { context.mayOutliveKill };
`;

  it('sees context.mayOutliveKill: a policy asks more approvals for such a grant', async () => {
    const engine = engineFor(POLICIES);
    const plain = await engine.decideRequest(facts({ actions: ['*'] }));
    const outliving = await engine.decideRequest(
      facts({ actions: ['*', 'iam:CreateAccessKey'], outlivingActions: ['iam:CreateAccessKey'] })
    );
    expect(plain).toMatchObject({ eligible: true, requiredApprovals: 1, permittedBy: ['base'] });
    expect(outliving).toMatchObject({
      eligible: true,
      requiredApprovals: 2,
      permittedBy: ['base', 'outliving-needs-two'],
    });
  });

  it('sees context.outlivingActions: a policy refuses one action by its canonical name', async () => {
    const decision = await engineFor(POLICIES).decideRequest(
      facts({ actions: ['STS:assumerole'], outlivingActions: ['sts:AssumeRole'] })
    );
    expect(decision).toMatchObject({ eligible: false, forbiddenBy: ['no-chaining'] });
    expect(decision.messages).toContain('denied by policy `no-chaining`: no role chaining here');
  });

  it('gives a CI deploy the same context', async () => {
    const workload = {
      platform: 'github' as const,
      issuerId: 'github-actions',
      repository: 'example-org/app',
      repositoryId: '1',
      owner: 'example-org',
      ownerId: '2',
      ref: 'refs/heads/main',
      refType: 'branch',
      refProtected: true,
      environment: '',
      workflowRef: '',
      workflowSha: '',
      eventName: 'push',
      runnerEnvironment: 'github-hosted',
      isForkPullRequest: false,
      runId: '1',
      runAttempt: '1',
      jobId: '',
      actor: 'alice',
      subject: 'repo:example-org/app:ref:refs/heads/main',
    };
    const deploy = (outlivingActions: string[]) =>
      engineFor(POLICIES).decideWorkload({
        workload,
        role: ROLE,
        templateId: 't',
        inputs: {},
        actions: ['iam:PassRole'],
        resources: ['*'],
        durationSeconds: 900,
        scopeWidth: 1,
        outlivingActions,
        at: new Date('2026-11-25T10:00:00+01:00'),
      });
    expect((await deploy([])).allowed).toBe(true);
    expect((await deploy(['iam:PassRole'])).allowed).toBe(false);
  });
});

describe('cedarPolicyEngine: untrusted strings', () => {
  const engine = engineFor(`
@id("sre-only") @approvers("bob")
permit (principal in Jit::Group::"sre", action == Jit::Action::"request", resource);
@id("no-mallory") @reason("not mallory")
forbid (principal == Jit::User::"mallory", action == Jit::Action::"request", resource);`);

  it.each([
    ['a quote and Cedar syntax', 'mallory") || true || ("'],
    ['a newline and a new policy', 'x"\n};\npermit(principal, action, resource);\n//'],
    ['an entity reference', 'Jit::Group::"sre"'],
    ['unicode and NUL', 'al\u0000ice\u202e'],
  ])('treats a user id with %s as a name, never as policy text', async (_what, userId) => {
    const decision = await engine.decideRequest(facts({ requester: userId, requesterGroups: ['developers'] }));
    expect(decision.eligible).toBe(false);
    expect(decision.messages.join()).toContain('no policy permits');
  });

  it('does not let a group named like Cedar syntax join another group', async () => {
    const decision = await engine.decideRequest(facts({ requesterGroups: ['sre"] || true', 'developers'] }));
    expect(decision.eligible).toBe(false);
  });

  it('matches ids exactly: "mallory " is not mallory, mallory is', async () => {
    expect((await engine.decideRequest(facts({ requester: 'mallory ', requesterGroups: ['sre'] }))).eligible).toBe(
      true
    );
    expect((await engine.decideRequest(facts({ requester: 'mallory', requesterGroups: ['sre'] }))).forbiddenBy).toEqual(
      ['no-mallory']
    );
  });

  it.each([
    ['too many actions', { actions: Array.from({ length: LIMITS.setEntries + 1 }, (_, i) => `s3:A${i}`) }],
    ['too many groups', { requesterGroups: Array.from({ length: LIMITS.groups + 1 }, (_, i) => `g${i}`) }],
    ['a huge reason', { reason: 'x'.repeat(LIMITS.reasonChars + 1) }],
    ['a huge resource', { resources: [`arn:aws:s3:::${'x'.repeat(LIMITS.stringChars)}`] }],
    ['a huge user id', { requester: 'u'.repeat(LIMITS.idChars + 1) }],
  ])('refuses %s before calling Cedar', async (_what, overrides) => {
    const error = await engine.decideRequest(facts(overrides as Partial<RequestFacts>)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe('POLICY_INPUT_TOO_LARGE');
  });
});

describe('compilePolicies: problems name file and line', () => {
  const problemsOf = (text: string, name?: string) => compile(text, name).problems;

  it('reports a syntax error at file:line:column', () => {
    const text = '// ok\n@id("a")\npermit (principal, action, resource)\nwhen { context. };\n';
    expect(problemsOf(text, 'policies/prod.cedar')).toEqual([
      expect.stringMatching(/^policies\/prod\.cedar:4:17: unexpected token `}`/),
    ]);
  });

  it('reports a schema error at file:line:column with the policy id', () => {
    const text =
      '@id("a") @approvers("bob")\npermit (principal, action == Jit::Action::"request", resource)\nwhen { context.tiket == "x" };\n';
    const [problem] = problemsOf(text);
    expect(problem).toMatch(/^policies\/test\.cedar:3:8: .*`a`.*tiket/);
    expect(problem).toContain('did you mean `ticket`?');
  });

  it.each([
    ['a missing @id', 'permit (principal, action, resource);', 'every policy needs an @id'],
    [
      'a duplicate @id',
      '@id("a") forbid (principal, action, resource); @id("a") forbid (principal, action, resource);',
      '@id("a") is already used at policies/test.cedar:1',
    ],
    [
      'an unknown annotation',
      '@id("a") @aprovers("bob") permit (principal, action, resource);',
      '@aprovers: unknown annotation',
    ],
    [
      'a bad @approvals',
      '@id("a") @approvals("many") permit (principal, action, resource);',
      '@approvals: must be a whole number',
    ],
    [
      'a bad @pendingWindow',
      '@id("a") @pendingWindow("1m") permit (principal, action, resource);',
      "@pendingWindow: '1m' is out of range",
    ],
    [
      'an unknown role',
      '@id("a") permit (principal, action, resource == Jit::Role::"prod-admn");',
      "role 'prod-admn' is not in catalog.json",
    ],
    [
      'an unknown group',
      '@id("a") permit (principal in Jit::Group::"sres", action, resource);',
      "group 'sres' is not defined in groups.json",
    ],
    [
      'an unmeetable quorum',
      '@id("a") @approvers("group:security") @approvals("2") permit (principal, action, resource);',
      'needs 2 approvals but only 1',
    ],
  ])('reports %s', (_what, text, fragment) => {
    const problems = problemsOf(text);
    expect(
      problems.some((p) => p.startsWith('policies/test.cedar:1') && p.includes(fragment)),
      problems.join('\n')
    ).toBe(true);
  });

  it('counts lines in characters, not bytes, after non-ASCII comments', () => {
    const text = '// Überprüfung für Zugänge\n@id("a")\npermit (principal, action, resource) when { ) };\n';
    expect(problemsOf(text)[0]).toMatch(/^policies\/test\.cedar:3:45: /);
  });
});

describe('compilePolicies: CI policies match immutable ids with their issuer, never names', () => {
  const problemsOf = (text: string) => compile(text).problems;
  const deploy = 'permit (principal is Jit::Workload, action == Jit::Action::"ciDeploy", resource)';

  it('refuses a policy that matches an owner or repository name, at its file and line', () => {
    const text = [
      '@id("by-owner-name")',
      `${deploy} when { principal.issuer == "gh" && principal.ownerId == "2001" && principal.owner == "example-org" };`,
      '@id("legacy-by-name")',
      'forbid (principal, action == Jit::Action::"ciDeploy", resource) when { principal["repository"] like "example-org/legacy*" };',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      'policies/test.cedar:1: policy `by-owner-name` matches CI jobs on principal.owner, a name that changes hands when a repository or owner is renamed, transferred or deleted; match principal.ownerId (and principal.issuer) instead',
      'policies/test.cedar:3: policy `legacy-by-name` matches CI jobs on principal.repository, a name that changes hands when a repository or owner is renamed, transferred or deleted; match principal.repositoryId (and principal.issuer) instead',
    ]);
  });

  it.each([
    [
      'no id at all',
      'when { principal.issuer == "gh" && principal.environment == "staging" }',
      'principal.ownerId or principal.repositoryId',
    ],
    ['an id without its issuer', 'when { principal.repositoryId == "1001" }', 'without matching principal.issuer'],
    ['nothing (every action, every principal)', '', 'principal.ownerId or principal.repositoryId'],
  ])('refuses a permit for CI jobs that pins %s', (_what, condition, fragment) => {
    const scope = condition === '' ? 'permit (principal, action, resource)' : deploy;
    expect(problemsOf(`@id("p") ${scope} ${condition};`)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^policies/test.cedar:1: policy \`p\` permits CI jobs .*${fragment}`)),
      ])
    );
  });

  it('accepts ids with the issuer, a forbid on other claims, and leaves people’s policies alone', () => {
    const text = [
      `@id("ok") ${deploy} when { principal.issuer == "gh" && ["2001", "2002"].contains(principal.ownerId) };`,
      '@id("one") permit (principal == Jit::Workload::"1001", action == Jit::Action::"ciDeploy", resource) when { principal.issuer == "gh" };',
      '@id("env") forbid (principal, action == Jit::Action::"ciDeploy", resource) unless { principal.environment == "staging" };',
      '@id("people") @approvers("group:sre") permit (principal, action == Jit::Action::"request", resource);',
    ].join('\n');
    expect(problemsOf(text)).toEqual([]);
  });
});
