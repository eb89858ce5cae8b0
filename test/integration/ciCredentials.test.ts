import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cedarPolicyEngine } from '../../functions/adapters/cedarPolicyEngine.js';
import type { DeployTemplate } from '../../functions/config/ciConfig.js';
import { compilePolicies } from '../../functions/policy/policySet.js';
import { policySchemaText } from '../../functions/policy/schema.js';
import { type CredentialProcessOutput, type EmulatedBroker, emulatedBroker } from '../helpers/emulatedBroker.js';
import { githubDeployClaims, type LocalIssuer, startLocalIssuer } from '../helpers/localIssuer.js';

const DEPLOY = { template: 'service-deploy-staging', role: 'staging-deploy', inputs: { service: 'orders' } };

describe('CI credentials through the API (DynamoDB Local + AWS emulator + a local OIDC issuer)', () => {
  let issuer: LocalIssuer;
  let env: EmulatedBroker;
  beforeAll(async () => {
    issuer = await startLocalIssuer();
    env = await emulatedBroker({
      configure: (config) => {
        // The template allows an hour, so the example permit's @maxDuration of 30m is the tighter cap.
        const templates = new Map(config.ci.templates);
        const staging = templates.get(DEPLOY.template);
        if (staging !== undefined) templates.set(DEPLOY.template, { ...staging, maxDurationSeconds: 3600 });
        return { ...config, ci: { issuers: [issuer.config()], templates } };
      },
    });
  });
  afterAll(async () => {
    await env.dispose();
    await issuer.close();
  });

  const call = (path: string, token: string | undefined, body?: unknown) =>
    env.api.as('nobody').post(path, body, token === undefined ? {} : { authorization: `Bearer ${token}` });
  const deploy = async (token: string, body: unknown = DEPLOY) => call('/ci/credentials', token, body);
  const runClaims = (runId: string, overrides: Record<string, unknown> = {}) =>
    githubDeployClaims({ run_id: runId, ...overrides });

  it('vends per-deploy credentials to a job with a valid token, narrowed to its service, named after its run', async () => {
    const answer = await deploy(await issuer.mint(runClaims('8001')));
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toContain('no-store');
    const { grantId, credentials } = answer.body as { grantId: string; credentials: CredentialProcessOutput };
    expect(credentials.AccessKeyId).toMatch(/^ASIA/);
    const identity = await env.callerIdentity(credentials);
    expect(identity.Arn).toBe(`arn:aws:sts::123456789012:assumed-role/staging-deploy/ci.8001.${grantId}`);
    expect(answer.body).toMatchObject({ accountId: '123456789012', sessionArn: identity.Arn });

    const grant = await env.deps.store.get(grantId);
    expect(grant).toMatchObject({
      state: 'ACTIVE',
      requester: 'ci:github:1001',
      roleId: 'staging-deploy',
      workload: { repository: 'example-org/app', repositoryId: '1001', runId: '8001', template: DEPLOY.template },
    });
    expect(JSON.parse(grant?.sessionPolicy ?? '{}').Statement[0].Resource).toEqual([
      'arn:aws:cloudformation:eu-central-1:123456789012:stack/orders-staging/*',
      'arn:aws:s3:::example-deploy-artifacts/1001/orders/*',
    ]);
    const events = await env.deps.store.auditTrail(grantId);
    expect(events.map((e) => e.type)).toEqual(['grant.requested', 'grant.auto-approved', 'grant.activated']);
    expect(events[1]?.actor).toBe('policy:ci-example-org-deploys-staging');
    expect(events[0]?.details).toMatchObject({ workload: { tokenIdHash: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(await env.schedule(grantId)).toBeDefined();
  });

  it('ends the grant with done and a fresh token of the same job: its sessions are denied on the role', async () => {
    const opened = await deploy(await issuer.mint(runClaims('8002')));
    const { grantId } = opened.body;
    const stranger = await call(`/ci/grants/${grantId}/done`, await issuer.mint(runClaims('9999')));
    expect(stranger.status).toBe(404);
    const done = await call(`/ci/grants/${grantId}/done`, await issuer.mint(runClaims('8002')));
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ state: 'ENDED', endedBy: 'ci:github:1001' });
    expect(await env.killedOn('staging-deploy')).toContain(grantId);
    expect(await env.schedule(grantId)).toBeUndefined();
    const again = await call(`/ci/grants/${grantId}/credentials`, await issuer.mint(runClaims('8002')));
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('GRANT_ENDED');
  });

  /** A sibling job of run 8300: no protected environment, not on the pinned workflow, another check run. */
  const sibling = (runId: string) =>
    runClaims(runId, {
      check_run_id: '9302',
      environment: undefined,
      job_workflow_ref: 'example-org/app/.github/workflows/test.yml@refs/heads/main',
      job_workflow_sha: 'f00df00df00df00df00df00df00df00df00df00d',
    });

  it('binds the grant to its job: a sibling job of the same run can neither re-vend it nor end it (403), another run gets 404', async () => {
    const opened = await deploy(await issuer.mint(runClaims('8300')));
    const { grantId } = opened.body;
    const before = await env.itemCount();
    for (const call_ of ['credentials', 'done']) {
      const answer = await call(`/ci/grants/${grantId}/${call_}`, await issuer.mint(sibling('8300')));
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('NOT_THIS_JOB');
      expect(answer.body.error.message).toBe(
        `grant ${grantId} is bound to the job of run 8300.1 that opened it, and this token is another job's: check_run_id is "9302", not "9001"; job_workflow_ref is "example-org/app/.github/workflows/test.yml@refs/heads/main", not "example-org/deploy-workflows/.github/workflows/deploy.yml@refs/heads/main"; job_workflow_sha is "f00df00df00df00df00df00df00df00df00df00d", not "c9ed89cf4dacf01feb527c42a26e0a8920d14c61"; environment is "", not "staging"`
      );
      const otherRun = await call(`/ci/grants/${grantId}/${call_}`, await issuer.mint(runClaims('8399')));
      expect(otherRun.status).toBe(404);
    }
    const selfHosted = await call(
      `/ci/grants/${grantId}/credentials`,
      await issuer.mint(runClaims('8300', { runner_environment: 'self-hosted' }))
    );
    expect(selfHosted.status).toBe(403);
    expect(selfHosted.body.error.message).toContain('runner_environment is "self-hosted", not "github-hosted"');
    expect(await env.itemCount()).toBe(before);
    expect((await env.deps.store.get(grantId))?.state).toBe('ACTIVE');
    const own = await call(`/ci/grants/${grantId}/done`, await issuer.mint(runClaims('8300')));
    expect(own.status).toBe(200);
    expect(own.body.state).toBe('ENDED');
  });

  it('asks the CI decision again at re-vend: a policy that no longer permits refuses it, and done still ends it', async () => {
    const opened = await deploy(await issuer.mint(runClaims('8310')));
    const { grantId } = opened.body;
    const policies = env.deps.config.policies;
    const freeze = compilePolicies(
      [
        {
          name: 'policies/freeze.cedar',
          text: '@id("ci-deploy-freeze") @reason("deploys are frozen")\nforbid (principal, action == Jit::Action::"ciDeploy", resource);',
        },
      ],
      policySchemaText()
    );
    expect(freeze.problems).toEqual([]);
    const original = env.deps.policy;
    Object.assign(env.deps, {
      policy: cedarPolicyEngine({ ...policies, policies: [...policies.policies, ...freeze.policies] }),
    });
    try {
      const before = await env.itemCount();
      const revend = await call(`/ci/grants/${grantId}/credentials`, await issuer.mint(runClaims('8310')));
      expect(revend.status).toBe(403);
      expect(revend.body.error).toEqual({
        code: 'POLICY_DENIED',
        message: `grant ${grantId} cannot be re-vended: denied by policy \`ci-deploy-freeze\`: deploys are frozen`,
      });
      expect(await env.itemCount()).toBe(before);
      const done = await call(`/ci/grants/${grantId}/done`, await issuer.mint(runClaims('8310')));
      expect(done.status).toBe(200);
      expect(done.body.state).toBe('ENDED');
    } finally {
      Object.assign(env.deps, { policy: original });
    }
  });

  it('refuses another team’s input value (403), at opening and at re-vend once ci.json withdraws it', async () => {
    const before = await env.itemCount();
    const payments = { ...DEPLOY, inputs: { service: 'payments' } };
    const refused = await deploy(await issuer.mint(runClaims('8320')), payments);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('INPUT_NOT_ALLOWED');
    expect(refused.body.error.message).toContain(
      'input service=payments is not allowed for repository example-org/app (id 1001'
    );
    expect(await env.itemCount()).toBe(before);
    const paymentsRepository = { repository: 'example-org/payments', repository_id: '1002' };
    const own = await deploy(await issuer.mint(runClaims('8321', paymentsRepository)), payments);
    expect(own.status).toBe(200);

    const templates = env.deps.config.ci.templates as Map<string, DeployTemplate>;
    const template = templates.get(DEPLOY.template) as DeployTemplate;
    templates.set(DEPLOY.template, {
      ...template,
      inputs: new Map([['service', { pattern: /^(?:[a-z]+)$/, allow: [] }]]),
    });
    try {
      const revend = await call(
        `/ci/grants/${own.body.grantId}/credentials`,
        await issuer.mint(runClaims('8321', paymentsRepository))
      );
      expect(revend.status).toBe(403);
      expect(revend.body.error.code).toBe('INPUT_NOT_ALLOWED');
    } finally {
      templates.set(DEPLOY.template, template);
    }
  });

  it('re-vends for a long job with a fresh token, re-checking the grant', async () => {
    const opened = await deploy(await issuer.mint(runClaims('8003')));
    const revend = await call(`/ci/grants/${opened.body.grantId}/credentials`, await issuer.mint(runClaims('8003')));
    expect(revend.status).toBe(200);
    expect(revend.body.credentials.AccessKeyId).not.toBe(opened.body.credentials.AccessKeyId);
    expect((await env.deps.store.get(opened.body.grantId))?.vendCount).toBe(2);
  });

  it('refuses a replayed token with 401 TOKEN_REPLAYED, storing nothing more', async () => {
    const token = await issuer.mint(runClaims('8004'));
    expect((await deploy(token)).status).toBe(200);
    const before = await env.itemCount();
    const replay = await deploy(token);
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('TOKEN_REPLAYED');
    const logged = env.logLines.map((line) => JSON.parse(line)).find((l) => l.code === 'TOKEN_REPLAYED');
    expect(logged).toMatchObject({ message: 'ci token refused', repository: 'example-org/app', run: '8004.1' });
    expect(JSON.stringify(env.logLines)).not.toContain(token);
    expect(await env.itemCount()).toBe(before);
  });

  it.each([
    ['no token', async () => undefined, 401, 'NOT_AUTHENTICATED', 'Authorization: Bearer'],
    [
      'a forged signature',
      () => issuer.mint(runClaims('8101'), { signWith: 'other-key' }),
      401,
      'TOKEN_SIGNATURE_INVALID',
      'does not verify',
    ],
    [
      'a wrong audience',
      () => issuer.mint(runClaims('8102'), { audience: 'sts.amazonaws.com' }),
      401,
      'TOKEN_AUDIENCE_MISMATCH',
      'sts.amazonaws.com',
    ],
    [
      'a wrong issuer',
      () => issuer.mint(runClaims('8103'), { issuer: 'https://token.example' }),
      401,
      'TOKEN_ISSUER_UNTRUSTED',
      'https://token.example',
    ],
    ['an expired token', () => issuer.mint(runClaims('8104'), { expiresIn: -300 }), 401, 'TOKEN_EXPIRED', 'expired at'],
    [
      'a token not yet valid',
      () => issuer.mint(runClaims('8105'), { notBefore: 600, expiresIn: 900 }),
      401,
      'TOKEN_NOT_YET_VALID',
      'not valid before',
    ],
    [
      'a fork pull request',
      () => issuer.mint(runClaims('8106', { event_name: 'pull_request' })),
      403,
      'POLICY_DENIED',
      'may come from a fork',
    ],
    [
      'an unprotected ref',
      () => issuer.mint(runClaims('8107', { ref: 'refs/heads/feature-x', ref_protected: 'false' })),
      403,
      'POLICY_DENIED',
      'denied by policy `ci-protected-refs-only`: ref refs/heads/feature-x is not protected',
    ],
    [
      'another workflow',
      () =>
        issuer.mint(runClaims('8108', { job_workflow_ref: 'example-org/app/.github/workflows/x.yml@refs/heads/main' })),
      403,
      'POLICY_DENIED',
      'ci-pinned-deploy-workflow',
    ],
  ])('refuses %s with the reason, leaving no grant and no credentials', async (_what, token, status, code, message) => {
    const before = await env.itemCount();
    const answer = await deploy((await token()) as string);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
    expect(answer.body.error.message).toContain(message);
    expect(await env.itemCount()).toBe(before);
    if (code !== 'NOT_AUTHENTICATED') {
      expect(env.logLines.some((line) => line.includes('ci token refused') && line.includes(code))).toBe(true);
    }
  });

  it('refuses inputs that would widen the policy before anything is stored', async () => {
    const before = await env.itemCount();
    const answer = await deploy(await issuer.mint(runClaims('8201')), { ...DEPLOY, inputs: { service: '*' } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('TEMPLATE_INPUT_INVALID');
    expect(await env.itemCount()).toBe(before);
  });

  it('refuses a duration above the template’s or the permit’s maximum, in the units people write, storing nothing', async () => {
    const before = await env.itemCount();
    const answer = await deploy(await issuer.mint(runClaims('8202')), { ...DEPLOY, durationSeconds: 7200 });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toEqual({
      code: 'DURATION_ABOVE_MAXIMUM',
      message: 'template service-deploy-staging allows a deploy of at most 1h; asked for 2h',
    });
    const byPolicy = await deploy(await issuer.mint(runClaims('8204')), { ...DEPLOY, durationSeconds: 2700 });
    expect(byPolicy.body.error).toEqual({
      code: 'DURATION_ABOVE_MAXIMUM',
      message: 'policy ci-example-org-deploys-staging allows a deploy of at most 30m; asked for 45m',
    });
    expect(await env.itemCount()).toBe(before);
  });

  it('gives the most the template and the permit allow when the job names no duration', async () => {
    const answer = await deploy(await issuer.mint(runClaims('8203')));
    expect((await env.deps.store.get(answer.body.grantId))?.durationSeconds).toBe(1800);
  });
});
