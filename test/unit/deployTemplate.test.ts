import { describe, expect, it } from 'vitest';
import { renderDeployScope } from '../../functions/domain/deployTemplate.js';
import type { Workload } from '../../functions/domain/workload.js';
import { exampleConfig } from '../helpers/fixtures.js';

const workload = (overrides: Partial<Workload> = {}): Workload => ({
  platform: 'github',
  issuerId: 'local-ci',
  repository: 'example-org/app',
  repositoryId: '1001',
  owner: 'example-org',
  ownerId: '2001',
  ref: 'refs/heads/main',
  refType: 'branch',
  refProtected: true,
  environment: 'staging',
  workflowRef: 'example-org/deploy-workflows/.github/workflows/deploy.yml@refs/heads/main',
  eventName: 'push',
  runnerEnvironment: 'github-hosted',
  isForkPullRequest: false,
  runId: '7001',
  runAttempt: '1',
  actor: 'octocat',
  subject: 'repo:example-org/app:environment:staging',
  ...overrides,
});

describe('deploy templates: claims and inputs can name things, never widen them', async () => {
  const template = (await exampleConfig()).ci.templates.get('service-deploy-staging')!;

  it('fills in the repository name and the service input', () => {
    expect(renderDeployScope(template, workload(), { service: 'orders' }).resources).toEqual([
      'arn:aws:cloudformation:eu-central-1:123456789012:stack/orders-staging/*',
      'arn:aws:s3:::example-deploy-artifacts/app/orders/*',
    ]);
  });

  it.each([
    ['a wildcard', 'orders*'],
    ['a question mark', 'ord?rs'],
    ['an ARN separator', 'orders:x'],
    ['a path separator', 'orders/../x'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JavaScript one
    ['a policy variable', '${aws:username}'],
  ])('refuses an input holding %s', (_what, service) => {
    expect(() => renderDeployScope(template, workload(), { service })).toThrow(/input 'service' may only hold/);
  });

  it('refuses inputs outside the template’s pattern, missing ones and unknown ones, all at once', () => {
    expect(() => renderDeployScope(template, workload(), { service: 'A', extra: 'x' })).toThrow(
      /input 'extra' is not one template service-deploy-staging takes; input 'service' must match/
    );
    expect(() => renderDeployScope(template, workload(), {})).toThrow(/input 'service' is missing/);
  });

  it.each([
    ['a wildcard', 'app*'],
    ['a colon', 'app:x'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JavaScript one
    ['a policy variable', '${aws:userid}'],
  ])('refuses a claim holding %s instead of substituting it', (_what, name) => {
    expect(() =>
      renderDeployScope(template, workload({ repository: `example-org/${name}` }), { service: 'orders' })
    ).toThrow(/CLAIM|claim repository/);
  });
});
