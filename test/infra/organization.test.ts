import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BrokerConfig } from '../../functions/config/brokerConfig.js';
import { loadConfig } from '../../functions/config/loadConfig.js';
import { ROUTES } from '../../functions/handlers/routes.js';
import { forwardingRegions } from '../../infra/organization/activityForwarding.js';
import { IDENTITY_STORE_READS, organizationAccess } from '../../infra/organization/brokerOrganization.js';
import { dataEventSelectors } from '../../infra/organization/dataEventTrail.js';
import { organizationTemplates } from '../../infra/organization/organizationStage.js';
import { THIS_ACCOUNT, workloadRoles } from '../../infra/organization/workloadRoles.js';

let config: BrokerConfig;
beforeAll(async () => {
  config = await loadConfig('config');
});

/** The example catalog with its roles replaced. */
const withRoles = (roles: { id: string; roleArn: string; actions: string[]; resources: string[] }[]): BrokerConfig => {
  const base = config.catalog.roles.get('prod-read');
  if (base === undefined) throw new Error('the example catalog has prod-read');
  return {
    ...config,
    catalog: {
      ...config.catalog,
      roles: new Map(
        roles.map((r) => [
          r.id,
          { ...base, id: r.id, roleArn: r.roleArn, scopeCeiling: { actions: r.actions, resources: r.resources } },
        ])
      ),
    },
  };
};

describe('workloadRoles', () => {
  it("turns each catalog role into a path, a name and its ceiling, with the role's own account abstracted", () => {
    const prodRead = workloadRoles(config).find((r) => r.name === 'prod-read');
    expect(prodRead).toMatchObject({ catalogIds: ['prod-read'], path: '/jit/', resourceName: 'jit/prod-read' });
    expect(prodRead?.resources).toContain(`arn:aws:dynamodb:us-east-1:${THIS_ACCOUNT}:table/*`);
    expect(JSON.stringify(prodRead)).not.toContain('123456789012');
  });

  it('knows which roles CI templates vend with (they trust the CI vend roles too)', () => {
    expect(workloadRoles(config).map((r) => [r.name, r.usedByCi])).toEqual([
      ['prod-read', false],
      ['prod-admin', false],
      ['staging-deploy', true],
    ]);
  });

  it('makes one role of the same name in several accounts when the ceilings agree', () => {
    const roles = workloadRoles(
      withRoles(
        ['222222222222', '333333333333'].map((account, i) => ({
          id: `read-${i}`,
          roleArn: `arn:aws:iam::${account}:role/jit/read`,
          actions: ['dynamodb:GetItem'],
          resources: [`arn:aws:dynamodb:eu-west-1:${account}:table/orders`],
        }))
      )
    );
    expect(roles).toHaveLength(1);
    expect(roles[0]?.catalogIds).toEqual(['read-0', 'read-1']);
  });

  it('refuses one role name with two ceilings: one template cannot give it both', () => {
    const twoCeilings = withRoles([
      { id: 'a', roleArn: 'arn:aws:iam::222222222222:role/jit/read', actions: ['s3:GetObject'], resources: ['*'] },
      { id: 'b', roleArn: 'arn:aws:iam::333333333333:role/jit/read', actions: ['s3:*'], resources: ['*'] },
    ]);
    expect(() => workloadRoles(twoCeilings)).toThrow(
      'catalog roles a and b are both role/jit/read but have different ceilings'
    );
  });

  it('selects catalog roles by id, and names ids the catalog does not have', () => {
    expect(workloadRoles(config, ['prod-read']).map((r) => r.name)).toEqual(['prod-read']);
    expect(() => workloadRoles(config, ['prod-read', 'nope'])).toThrow('not in the catalog: nope');
  });
});

describe('forwardingRegions', () => {
  it('always includes us-east-1, where IAM and STS global-endpoint calls are recorded', () => {
    expect(forwardingRegions(['eu-west-1', 'eu-central-1', 'eu-west-1'])).toEqual([
      'eu-central-1',
      'eu-west-1',
      'us-east-1',
    ]);
    expect(forwardingRegions([])).toEqual(['us-east-1']);
  });

  it('refuses what is not a Region name', () => {
    expect(() => forwardingRegions(['Frankfurt'])).toThrow("'Frankfurt' is not an AWS Region name");
  });
});

describe('dataEventSelectors', () => {
  const resolved = (value: unknown) => new Stack().resolve(value);
  const selectors = () =>
    resolved(dataEventSelectors(workloadRoles(config))) as { name: string; fieldSelectors: unknown[] }[];

  it('records, per role, the data event types its ceiling reaches', () => {
    expect(selectors().map((s) => s.name)).toEqual([
      'prod-read AWS::S3::Object',
      'prod-read AWS::DynamoDB::Table',
      'prod-admin AWS::S3::Object',
      'prod-admin AWS::DynamoDB::Table',
      'staging-deploy AWS::S3::Object',
    ]);
  });

  it("only the role's sessions, and only on the resources its ceiling names", () => {
    const [s3, dynamo] = selectors();
    const sessions = {
      field: 'userIdentity.arn',
      startsWith: [
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':sts::', { Ref: 'AWS::AccountId' }, ':assumed-role/prod-read/'],
          ],
        },
      ],
    };
    expect(s3?.fieldSelectors).toEqual([
      { field: 'eventCategory', equalTo: ['Data'] },
      { field: 'resources.type', equalTo: ['AWS::S3::Object'] },
      sessions,
      { field: 'resources.ARN', startsWith: ['arn:aws:s3:::example-'] },
    ]);
    expect(dynamo?.fieldSelectors).toContainEqual({
      field: 'resources.ARN',
      startsWith: [{ 'Fn::Join': ['', ['arn:aws:dynamodb:us-east-1:', { Ref: 'AWS::AccountId' }, ':table/']] }],
    });
  });

  it('puts no resource filter on a ceiling of "*" (the sessions filter still keeps it to grants)', () => {
    const admin = selectors().find((s) => s.name === 'prod-admin AWS::S3::Object');
    expect(JSON.stringify(admin?.fieldSelectors)).not.toContain('resources.ARN');
    expect(JSON.stringify(admin?.fieldSelectors)).toContain(':assumed-role/prod-admin/');
  });

  it('records nothing for a role whose ceiling reaches neither S3 nor DynamoDB', () => {
    const logsOnly = withRoles([
      { id: 'logs', roleArn: 'arn:aws:iam::222222222222:role/logs', actions: ['logs:Get*'], resources: ['*'] },
    ]);
    expect(dataEventSelectors(workloadRoles(logsOnly))).toEqual([]);
  });
});

describe('organizationAccess (what the broker stack gets)', () => {
  /** A stand-in for the broker stack: one small function per route, as the stateless stack has. */
  const brokerLike = () => {
    const stack = new Stack(new App(), 'Broker', { env: { account: '111111111111', region: 'eu-west-1' } });
    const functions = new Map<string, NodejsFunction>(
      ROUTES.map((r) => [
        r.name,
        new LambdaFunction(stack, r.name, {
          runtime: Runtime.NODEJS_22_X,
          handler: 'index.handler',
          code: Code.fromInline('exports.handler = async () => ({})'),
        }) as unknown as NodejsFunction,
      ])
    );
    return { stack, functions };
  };

  it('lets every principal of the organization, and only of it, put events on the default bus', () => {
    const { stack, functions } = brokerLike();
    organizationAccess(stack, { functions }, config, { organizationId: 'o-abcd123456' });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: 'default',
      Statement: {
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:eu-west-1:111111111111:event-bus/default']],
        },
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abcd123456' } },
      },
    });
  });

  it('says at synth that without an organization id only the broker account’s calls are recorded', () => {
    const { stack, functions } = brokerLike();
    organizationAccess(stack, { functions }, config, {});
    Template.fromStack(stack).resourceCountIs('AWS::Events::EventBusPolicy', 0);
    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('No organizationId'));
  });

  it('refuses an organization id that is not one', () => {
    const { stack, functions } = brokerLike();
    expect(() => organizationAccess(stack, { functions }, config, { organizationId: '123456789012' })).toThrow(
      "organizationId must look like o-abcd123456, got '123456789012'"
    );
  });

  it('lets exactly the SigV4 route functions read the identity store, when groups come from it', () => {
    const { stack, functions } = brokerLike();
    const fromStore: BrokerConfig = {
      ...config,
      groupSource: {
        source: 'identity-store',
        identityStoreId: 'd-1234567890',
        region: 'eu-west-1',
        cacheSeconds: 60,
        cacheEntries: 1000,
      },
    };
    organizationAccess(stack, { functions }, fromStore, {});
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const readers = Object.values(policies)
      .filter((p) => JSON.stringify(p).includes('identitystore:GetUserId'))
      .map((p) => (p as { Properties: { Roles: { Ref: string }[] } }).Properties.Roles[0]?.Ref ?? '');
    const expected = ROUTES.filter((r) => r.auth === 'iam').map((r) => r.name);
    expect(readers).toHaveLength(expected.length);
    for (const name of expected) expect(readers.some((ref) => ref.startsWith(`${name}ServiceRole`))).toBe(true);
    const statement = JSON.stringify(Object.values(policies)[0]);
    for (const action of IDENTITY_STORE_READS) expect(statement).toContain(action);
    expect(statement).toContain(':identitystore::*:identitystore/d-1234567890');
  });

  it('gives no function identity store access when groups come from groups.json', () => {
    const { stack, functions } = brokerLike();
    organizationAccess(stack, { functions }, config, {});
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('identitystore:');
  });
});

describe('organizationTemplates', () => {
  it('leaves out the workload templates, with a warning, when the catalog has one role name with two ceilings', () => {
    const twoCeilings = withRoles([
      { id: 'a', roleArn: 'arn:aws:iam::222222222222:role/jit/read', actions: ['s3:GetObject'], resources: ['*'] },
      { id: 'b', roleArn: 'arn:aws:iam::333333333333:role/jit/read', actions: ['s3:*'], resources: ['*'] },
    ]);
    const app = new App();
    const templates = organizationTemplates(app, twoCeilings);
    expect(templates.workloadRoles).toBeUndefined();
    expect(templates.dataEventTrail).toBeUndefined();
    expect(templates.activityForwarding).toBeDefined();
    const warnings = templates.stage.node.metadata
      .filter((m) => m.type === 'aws:cdk:warning')
      .map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringContaining('JitWorkloadRoles is not synthesized: catalog roles a and b')]);
    expect(() => app.synth()).not.toThrow();
  });

  it('leaves out the data-event trail when no role reaches S3 or DynamoDB', () => {
    const logsOnly = withRoles([
      { id: 'logs', roleArn: 'arn:aws:iam::222222222222:role/logs', actions: ['logs:Get*'], resources: ['*'] },
    ]);
    const templates = organizationTemplates(new App(), logsOnly);
    expect(templates.workloadRoles).toBeDefined();
    expect(templates.dataEventTrail).toBeUndefined();
  });
});
