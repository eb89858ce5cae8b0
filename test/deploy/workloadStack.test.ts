import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config/loadConfig.js';
import { workloadRoles } from '../../infra/organization/workloadRoles.js';
import { JitWorkloadRolesStack } from '../../infra/organization/workloadStack.js';
import { ORGANIZATION_STACKS, synthOrganization } from './synthOrganization.js';

/**
 * The organization's templates as AWS will take them: a service-managed StackSet deploys one
 * template into accounts that were never CDK-bootstrapped, so the template must not name an
 * account, must not ask for the bootstrap stack, and must carry no assets; CloudFormation's own
 * rules (cfn-lint) and cdk-nag must find nothing.
 */

/** Twelve digits standing alone: what an account id looks like in a template. */
const ACCOUNT_LITERAL = /(?<![0-9])[0-9]{12}(?![0-9])/g;

const accountLiterals = (template: unknown): string[] => JSON.stringify(template).match(ACCOUNT_LITERAL) ?? [];

/** cfn-lint is optional on a developer's machine and required on CI (CI=true), as in test/infra/cfnLint.test.ts. */
const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const lintInstalled = cfnLint.status === 0;

let synth: Awaited<ReturnType<typeof synthOrganization>>;
beforeAll(async () => {
  synth = await synthOrganization();
}, 120_000);

describe.each(ORGANIZATION_STACKS)('the %s template', (name) => {
  const template = () => synth.artifact(name).template as Record<string, Record<string, unknown> | undefined>;

  it('names no account: no twelve-digit literal anywhere', () => {
    expect(accountLiterals(template())).toEqual([]);
  });

  it('needs no CDK bootstrap: no BootstrapVersion parameter or rule, no assets, no CDK metadata', () => {
    expect(Object.keys(template().Parameters ?? {})).not.toContain('BootstrapVersion');
    expect(template().Rules).toBeUndefined();
    expect(Object.values(template().Resources ?? {}).map((r) => (r as { Type: string }).Type)).not.toContain(
      'AWS::CDK::Metadata'
    );
    expect(synth.artifact(name).assets).toEqual([]);
    expect(JSON.stringify(template())).not.toContain('cdk-hnb659fds');
  });
});

describe('the organization templates', () => {
  it('pass cdk-nag with every acknowledgement exact', () => {
    expect(synth.validationReport.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });

  it('pass cfn-lint', { timeout: 120_000 }, () => {
    if (!lintInstalled) {
      expect(
        process.env.CI === 'true',
        'cfn-lint is not installed and CI=true: install it (pip install cfn-lint)'
      ).toBe(false);
      console.warn('NOTE: cfn-lint is not installed; the organization templates were not linted.');
      return;
    }
    const files = ORGANIZATION_STACKS.map((n) => synth.artifact(n).templateFullPath);
    const lint = spawnSync('cfn-lint', ['--format', 'parseable', '--', ...files], { encoding: 'utf8' });
    expect(lint.stdout + lint.stderr).toBe('');
    expect(lint.status).toBe(0);
    // The files cfn-lint read are the ones checked above.
    expect(JSON.parse(readFileSync(files[0] as string, 'utf8'))).toEqual(
      synth.artifact(ORGANIZATION_STACKS[0]).template
    );
  });

  it("takes the broker's roles as parameters, not literals", () => {
    const parameters = synth.artifact('JitWorkloadRoles').template.Parameters as Record<string, { Type: string }>;
    expect(Object.keys(parameters).sort()).toEqual([
      'BrokerCiVendRoleArns',
      'BrokerEndingRoleArns',
      'BrokerVendRoleArns',
    ]);
    for (const parameter of Object.values(parameters)) expect(parameter.Type).toBe('CommaDelimitedList');
  });
});

describe('the account-literal check', () => {
  it('finds the account a ceiling names when it is not the role’s own', async () => {
    const config = await loadConfig('config');
    const role = config.catalog.roles.get('prod-read');
    if (role === undefined) throw new Error('the example catalog has prod-read');
    const crossAccount = 'arn:aws:dynamodb:us-east-1:999988887777:table/shared';
    const withOther = {
      ...config,
      catalog: {
        ...config.catalog,
        roles: new Map([
          [
            'prod-read',
            {
              ...role,
              scopeCeiling: { ...role.scopeCeiling, resources: [...role.scopeCeiling.resources, crossAccount] },
            },
          ],
        ]),
      },
    };
    const stack = new JitWorkloadRolesStack(new App(), 'JitWorkloadRoles', { roles: workloadRoles(withOther) });
    const template = App.of(stack)?.synth().getStackByName('JitWorkloadRoles').template;
    // A resource in another account stays as the catalog names it: only the role's own account becomes AWS::AccountId.
    expect(accountLiterals(template)).toEqual(['999988887777']);
  });
});

describe('what the organization templates contain', () => {
  type Resource = { Type: string; Properties: Record<string, unknown>; Condition?: string };
  const resourcesOf = (name: (typeof ORGANIZATION_STACKS)[number]) =>
    Object.values(synth.artifact(name).template.Resources as Record<string, Resource>);
  const refOf = (logicalIdPrefix: string) => {
    const template = synth.artifact('JitWorkloadRoles').template.Resources as Record<string, Resource>;
    const id = Object.keys(template).find((k) => k.startsWith(logicalIdPrefix));
    return { Ref: id };
  };

  it("gives every target role the catalog's ceiling as both its permissions and its boundary, and the managed tag", () => {
    const roles = resourcesOf('JitWorkloadRoles').filter(
      (r) => r.Type === 'AWS::IAM::Role' && r.Properties.Path === '/jit/'
    );
    expect(roles.map((r) => r.Properties.RoleName)).toEqual(['prod-read', 'prod-admin', 'staging-deploy']);
    for (const role of roles) {
      const ceiling = refOf(`${String(role.Properties.RoleName).replace('-', '')}ceiling`);
      expect(role.Properties.PermissionsBoundary).toEqual(ceiling);
      expect(role.Properties.ManagedPolicyArns).toEqual([ceiling]);
      expect(role.Properties.Tags).toContainEqual({ Key: 'jit-broker:managed', Value: 'true' });
    }
  });

  it('has target roles trust the vend role parameter, and the CI vend roles only where a CI template uses the role', () => {
    const principals = Object.fromEntries(
      resourcesOf('JitWorkloadRoles')
        .filter((r) => r.Type === 'AWS::IAM::Role' && r.Properties.Path === '/jit/')
        .map((r) => [
          r.Properties.RoleName,
          JSON.stringify(
            (r.Properties.AssumeRolePolicyDocument as { Statement: { Principal: unknown }[] }).Statement[0]?.Principal
          ),
        ])
    );
    expect(principals['prod-read']).toBe(JSON.stringify({ AWS: { Ref: 'BrokerVendRoleArns' } }));
    expect(principals['staging-deploy']).toContain('BrokerCiVendRoleArns');
    expect(principals['staging-deploy']).toContain('BrokerVendRoleArns');
  });

  it('forwards with the recorder’s own pattern, read-only calls included, through a role only that rule may use', () => {
    const resources = resourcesOf('JitActivityForwarding');
    expect(resources.every((r) => r.Condition === 'ForwardsToAnotherBus')).toBe(true);
    const rule = resources.find((r) => r.Type === 'AWS::Events::Rule')?.Properties ?? {};
    expect(rule.State).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    expect(rule.EventPattern).toEqual({
      source: [{ prefix: 'aws.' }],
      'detail-type': ['AWS API Call via CloudTrail'],
      detail: { userIdentity: { type: ['AssumedRole'], sessionContext: { sourceIdentity: [{ prefix: 'g-' }] } } },
    });
    const [target] = rule.Targets as { Arn: unknown; RoleArn: unknown; DeadLetterConfig: unknown }[];
    expect(target?.Arn).toEqual({ Ref: 'BrokerEventBusArn' });
    expect(target?.RoleArn).toBeDefined();
    expect(target?.DeadLetterConfig).toBeDefined();
    const role = resources.find((r) => r.Type === 'AWS::IAM::Role')?.Properties ?? {};
    const trust = JSON.stringify(role.AssumeRolePolicyDocument);
    expect(trust).toContain('events.amazonaws.com');
    expect(trust).toContain('aws:SourceArn');
    expect(trust).toContain(':rule/jit-broker-grant-activity-forwarding');
  });

  it('records data events only, in every Region, with log file validation', () => {
    const trail = resourcesOf('JitDataEventTrail').find((r) => r.Type === 'AWS::CloudTrail::Trail')?.Properties ?? {};
    expect(trail.IsMultiRegionTrail).toBe(true);
    expect(trail.EnableLogFileValidation).toBe(true);
    expect(trail.EventSelectors).toBeUndefined();
    for (const selector of trail.AdvancedEventSelectors as {
      FieldSelectors: { Field: string; Equals?: string[] }[];
    }[]) {
      expect(selector.FieldSelectors).toContainEqual({ Field: 'eventCategory', Equals: ['Data'] });
    }
  });

  it('gives the caller permission set execute-api:Invoke on the broker API and nothing else', () => {
    const set = resourcesOf('JitCallerAccess').find((r) => r.Type === 'AWS::SSO::PermissionSet')?.Properties ?? {};
    expect(set.Name).toBe('JitBrokerCaller');
    expect(set.InlinePolicy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'CallJitBroker',
          Effect: 'Allow',
          Action: 'execute-api:Invoke',
          Resource: { Ref: 'BrokerApiInvokeArn' },
        },
      ],
    });
    expect(set.ManagedPolicies).toBeUndefined();
  });
});
