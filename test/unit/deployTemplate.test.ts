import { describe, expect, it } from 'vitest';
import type { DeployTemplate } from '../../functions/config/ciConfig.js';
import { renderDeployScope } from '../../functions/domain/deployTemplate.js';
import type { Workload } from '../../functions/domain/workload.js';
import { exampleConfig } from '../helpers/fixtures.js';

const workload = (overrides: Partial<Workload> = {}): Workload => ({
  platform: 'github',
  issuerId: 'github-actions',
  repository: 'example-org/app',
  repositoryId: '1001',
  owner: 'example-org',
  ownerId: '2001',
  ref: 'refs/heads/main',
  refType: 'branch',
  refProtected: true,
  environment: 'staging',
  workflowRef: 'example-org/deploy-workflows/.github/workflows/deploy.yml@refs/heads/main',
  workflowSha: 'c9ed89cf4dacf01feb527c42a26e0a8920d14c61',
  eventName: 'push',
  runnerEnvironment: 'github-hosted',
  isForkPullRequest: false,
  runId: '7001',
  runAttempt: '1',
  jobId: '9001',
  actor: 'octocat',
  subject: 'repo:example-org/app:environment:staging',
  ...overrides,
});

describe('deploy templates: claims and inputs can name things, never widen them', async () => {
  const template = (await exampleConfig()).ci.templates.get('service-deploy-staging')!;

  it('fills in the repository id and the service input', () => {
    expect(renderDeployScope(template, workload(), { service: 'orders' }).resources).toEqual([
      'arn:aws:cloudformation:eu-central-1:123456789012:stack/orders-staging/*',
      'arn:aws:s3:::example-deploy-artifacts/1001/orders/*',
    ]);
  });

  it('lets a repository pass only the input values ci.json allows its id: another team’s service is 403', () => {
    const refused = () => renderDeployScope(template, workload(), { service: 'payments' });
    expect(refused).toThrow(
      expect.objectContaining({
        code: 'INPUT_NOT_ALLOWED',
        kind: 'forbidden',
        message: expect.stringContaining(
          'input service=payments is not allowed for repository example-org/app (id 1001, owner id 2001, issuer github-actions); ci.json lets it pass orders, orders-worker'
        ),
      })
    );
    const payments = workload({ repository: 'example-org/payments', repositoryId: '1002' });
    expect(renderDeployScope(template, payments, { service: 'payments' }).resources[0]).toContain('payments-staging');
    // The same name under its new id, or the same id at another issuer, is another repository.
    for (const other of [workload({ repositoryId: '5555' }), workload({ issuerId: 'gitlab', platform: 'gitlab' })]) {
      expect(() => renderDeployScope(template, other, { service: 'orders' })).toThrow(/ci\.json lets it pass no value/);
    }
  });

  it('allows by owner id, or any value where the input says anyRepository', () => {
    const scoped: DeployTemplate = {
      ...template,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: template placeholders, not JavaScript ones
      resources: ['arn:aws:s3:::x/${inputs.service}/${inputs.region}/*'],
      inputs: new Map([
        [
          'service',
          {
            pattern: /^(?:[a-z]+)$/,
            allow: [{ issuer: 'github-actions', repositoryIds: [], ownerIds: ['2001'], values: ['shared'] }],
          },
        ],
        ['region', { pattern: /^(?:eu-[a-z]+-1)$/, allow: 'any' }],
      ]),
    };
    const anyRepositoryOfTheOwner = workload({ repositoryId: '4242' });
    expect(
      renderDeployScope(scoped, anyRepositoryOfTheOwner, { service: 'shared', region: 'eu-west-1' }).resources
    ).toEqual(['arn:aws:s3:::x/shared/eu-west-1/*']);
    expect(() =>
      renderDeployScope(scoped, workload({ ownerId: '6666' }), { service: 'shared', region: 'eu-west-1' })
    ).toThrow(/INPUT_NOT_ALLOWED|not allowed/);
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
    ['a wildcard', 'staging*'],
    ['a colon', 'staging:x'],
    ['a slash', 'staging/../prod'],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a JavaScript one
    ['a policy variable', '${aws:userid}'],
  ])('refuses a claim holding %s instead of substituting it', (_what, environment) => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a template placeholder, not a JavaScript one
    const byEnvironment: DeployTemplate = { ...template, resources: ['arn:aws:s3:::x/${claims.environment}/*'] };
    expect(() => renderDeployScope(byEnvironment, workload({ environment }), { service: 'orders' })).toThrow(
      /needs claim environment/
    );
  });
});
