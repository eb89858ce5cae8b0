import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, type CfnResource } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/handlers/routes.js';
import { buildBrokerApp } from '../../infra/brokerApp.js';
import { FUNCTION_ACCESS } from '../../infra/functionAccess.js';
import { sessionKillerArns } from '../../infra/sessionKiller.js';
import { synthBroker } from './synthBroker.js';

const synth = await synthBroker();
const { stateless, config } = synth;
const template = synth.template('JitBroker');
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const logicalId = (construct: { node: { defaultChild?: unknown } } | undefined): string => {
  const cfn = construct?.node.defaultChild as CfnResource | undefined;
  if (cfn === undefined) throw new Error('no CloudFormation resource');
  return stateless.getLogicalId(cfn);
};

const resourceOf = (construct: { node: { defaultChild?: unknown } } | undefined) => {
  const found = resources[logicalId(construct)];
  if (found === undefined) throw new Error('not in the template');
  return found;
};

/** The statements of one function's own role policy. */
const statementsOf = (name: string): Statement[] => {
  const policy = stateless.functions.get(name)?.role?.node.tryFindChild('DefaultPolicy') as
    | { node: { defaultChild?: unknown } }
    | undefined;
  const document = resourceOf(policy).Properties.PolicyDocument as { Statement: Statement[] };
  return document.Statement;
};

const actionsOf = (statements: Statement[], effect = 'Allow'): string[] =>
  statements.filter((s) => s.Effect === effect).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

const allowing = (name: string, action: string): Statement[] =>
  statementsOf(name).filter((s) => s.Effect === 'Allow' && actionsOf([s]).includes(action));

const catalogRoleArns = [...config.catalog.roles.values()].map((r) => r.roleArn).sort();
const killerRoleArns = sessionKillerArns(catalogRoleArns, undefined);
/** A statement's Resource as a list (CloudFormation writes a single one as a string). */
const asList = (resource: unknown): unknown[] => (Array.isArray(resource) ? resource : [resource]);

describe('the broker app', () => {
  it('passes cdk-nag AwsSolutions and Serverless with no unacknowledged finding', () => {
    expect(synth.validationReport.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });

  it('gives every route its authorization from ROUTES: IAM for humans, none for health and CI tokens', () => {
    const routes = template.findResources('AWS::ApiGatewayV2::Route');
    const deployed = Object.fromEntries(
      Object.values(routes).map((r) => [r.Properties.RouteKey, r.Properties.AuthorizationType])
    );
    expect(deployed).toEqual(
      Object.fromEntries(ROUTES.map((r) => [`${r.method} ${r.path}`, r.auth === 'iam' ? 'AWS_IAM' : 'NONE']))
    );
    expect(deployed['GET /health']).toBe('NONE');
    // CI routes carry no API Gateway authorizer: the token is verified by the function.
    expect(deployed['POST /ci/credentials']).toBe('NONE');
    expect(deployed['POST /grants/{id}/credentials']).toBe('AWS_IAM');
  });

  it('pins every function to nodejs22.x on arm64', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(functions.length).toBe(ROUTES.length + 4);
    for (const fn of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
  });

  it('decides each function access from one table that covers every handler', () => {
    expect(Object.keys(FUNCTION_ACCESS).sort()).toEqual(
      [...ROUTES.map((r) => r.name), 'expire', 'sweep', 'recordActivity'].sort()
    );
  });

  it('lets only the vending functions (people’s and CI jobs’) assume target roles, only catalog roles tagged as managed', () => {
    const vending = ['vendCredentials', 'createGrant', 'ciCredentials', 'ciRevend'];
    for (const name of stateless.functions.keys()) {
      const assume = allowing(name, 'sts:AssumeRole');
      if (!vending.includes(name)) {
        // The ending functions assume only the session killers (below).
        expect(
          assume.filter((s) => JSON.stringify(asList(s.Resource)) !== JSON.stringify(killerRoleArns)),
          name
        ).toEqual([]);
        continue;
      }
      expect(assume).toHaveLength(1);
      expect(actionsOf(assume).sort()).toEqual(['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession']);
      expect(assume[0]?.Resource).toEqual(catalogRoleArns);
      expect(assume[0]?.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/jit-broker:managed': 'true' } });
    }
  });

  it('lets only the ending functions write kill policies, on managed, bounded catalog roles only', () => {
    const writers = [...stateless.functions.keys()].filter((name) => allowing(name, 'iam:PutRolePolicy').length > 0);
    expect(writers.sort()).toEqual(['ciDone', 'expire', 'finishGrant', 'recordActivity', 'revokeGrant', 'sweep']);
    const managed = { 'iam:ResourceTag/jit-broker:managed': 'true' };
    for (const name of writers) {
      const [write] = allowing(name, 'iam:PutRolePolicy');
      expect(actionsOf([write as Statement]).sort()).toEqual(['iam:DeleteRolePolicy', 'iam:PutRolePolicy']);
      expect(write?.Resource).toEqual(catalogRoleArns);
      expect(write?.Condition).toEqual({ StringEquals: managed, Null: { 'iam:PermissionsBoundary': 'false' } });
      const [read] = allowing(name, 'iam:GetRolePolicy');
      expect(actionsOf([read as Statement]).sort()).toEqual(['iam:GetRolePolicy', 'iam:ListRolePolicies']);
      expect(read?.Resource).toEqual(catalogRoleArns);
      expect(read?.Condition).toEqual({ StringEquals: managed });
    }
  });

  it("lets only the ending functions assume the session killers, of the catalog's accounts only", () => {
    const assumers = [...stateless.functions.keys()].filter((name) =>
      allowing(name, 'sts:AssumeRole').some((s) =>
        JSON.stringify(s.Resource).includes(':role/jit-broker-session-killer')
      )
    );
    expect(assumers.sort()).toEqual(['ciDone', 'expire', 'finishGrant', 'recordActivity', 'revokeGrant', 'sweep']);
    // The stack is environment-agnostic here, so the broker's own account cannot be left out at synth.
    expect(killerRoleArns).toEqual(['arn:aws:iam::123456789012:role/jit-broker-session-killer']);
    for (const name of assumers) {
      const assume = allowing(name, 'sts:AssumeRole');
      expect(assume, name).toHaveLength(1);
      expect(assume[0]?.Action).toBe('sts:AssumeRole');
      expect(asList(assume[0]?.Resource)).toEqual(killerRoleArns);
    }
  });

  it("tells only the ending functions the broker's account and the session killer's name", () => {
    for (const [name, fn] of stateless.functions) {
      const env = (resourceOf(fn).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const kills = (FUNCTION_ACCESS[name] ?? []).includes('killSessions');
      expect(env.BROKER_ACCOUNT_ID, name).toEqual(kills ? { Ref: 'AWS::AccountId' } : undefined);
      expect(env.SESSION_KILLER_ROLE_NAME, name).toBe(kills ? 'jit-broker-session-killer' : undefined);
    }
  });

  it('outputs the API ARN the callers’ permission set allows execute-api:Invoke on', () => {
    const output = template.toJSON().Outputs.ApiInvokeArn as { Value: unknown };
    expect(JSON.stringify(output.Value)).toContain(':execute-api:');
    expect(JSON.stringify(output.Value)).toContain(logicalId(stateless.api as never));
    expect(JSON.stringify(output.Value)).toMatch(/\/\*"\]\]\}$/);
  });

  it('outputs the roles a session killer must trust', () => {
    const output = template.toJSON().Outputs.SessionKillerTrustedRoleArns as { Value: unknown };
    const roleOf = (name: string) => ({
      'Fn::GetAtt': [logicalId(stateless.functions.get(name)?.role as never), 'Arn'],
    });
    expect(output.Value).toEqual({
      'Fn::Join': [',', ['expire', 'finishGrant', 'revokeGrant', 'ciDone', 'sweep', 'recordActivity'].map(roleOf)],
    });
  });

  it('gives read-only routes no DynamoDB write and health no DynamoDB at all', () => {
    for (const route of ROUTES.filter((r) => r.method === 'GET')) {
      const dynamo = actionsOf(statementsOf(route.name)).filter((a) => a.startsWith('dynamodb:'));
      expect(dynamo.sort(), route.name).toEqual(route.name === 'health' ? [] : ['dynamodb:GetItem', 'dynamodb:Query']);
    }
  });

  it('lets only the approving functions create schedules, in the group, passing the scheduler role only to Scheduler', () => {
    const creators = [...stateless.functions.keys()].filter((n) => allowing(n, 'scheduler:CreateSchedule').length > 0);
    // createGrant approves at once what a policy auto-approves or lets break glass; ciCredentials what a ciDeploy policy permits.
    expect(creators.sort()).toEqual(['approveGrant', 'ciCredentials', 'createGrant']);
    for (const name of creators) {
      const [create] = allowing(name, 'scheduler:CreateSchedule');
      expect(JSON.stringify(create?.Resource)).toContain(':schedule/jit-broker-expiry/jit-expire-*');
      const [pass] = allowing(name, 'iam:PassRole');
      expect(pass?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
      expect(pass?.Resource).toEqual({ 'Fn::GetAtt': [logicalId(stateless.node.findChild('SchedulerRole')), 'Arn'] });
    }
  });

  it('trusts Scheduler with its role only for this account and this schedule group', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: {
              StringEquals: {
                'aws:SourceAccount': { Ref: 'AWS::AccountId' },
                'aws:SourceArn': {
                  'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':schedule-group/jit-broker-expiry$')])],
                },
              },
            },
          },
        ],
      },
    });
    const role = stateless.node.findChild('SchedulerRole');
    const policy = role.node.findChild('DefaultPolicy') as { node: { defaultChild?: unknown } };
    const statements = (resourceOf(policy).Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    expect(statements.map((s) => [s.Action, s.Resource])).toEqual([
      ['lambda:InvokeFunction', { 'Fn::GetAtt': [logicalId(stateless.functions.get('expire')), 'Arn'] }],
      ['sqs:SendMessage', { 'Fn::GetAtt': [logicalId(stateless.node.findChild('ExpiryDeadLetters')), 'Arn'] }],
    ]);
  });

  it('creates the schedule group and dead-letters failed expiries to an encrypted, SSL-only queue', () => {
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'jit-broker-expiry' });
    const dlq = logicalId(stateless.node.findChild('ExpiryDeadLetters'));
    expect(resources[dlq]?.Properties.SqsManagedSseEnabled).toBe(true);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: dlq }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stateless.functions.get('expire')) },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlq, 'Arn'] } } },
    });
  });

  it('tells only the functions that sign or check chain signatures which key signs them', () => {
    const knowing: string[] = [];
    for (const [name, fn] of stateless.functions) {
      const env = (resourceOf(fn).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const capabilities = FUNCTION_ACCESS[name] ?? [];
      const usesKey = capabilities.includes('signChain') || capabilities.includes('verifyChain');
      expect('CHAIN_SIGNING_KEY_ARN' in env, name).toBe(usesKey);
      if (usesKey) knowing.push(name);
    }
    expect(knowing).toContain('vendCredentials');
    expect(knowing).not.toContain('health');
    expect(knowing).not.toContain('listGrants');
  });

  it('tells only the approving functions where the expiry function, scheduler role and queue are', () => {
    for (const [name, fn] of stateless.functions) {
      const env = (resourceOf(fn).Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      expect('EXPIRY_FUNCTION_ARN' in env, name).toBe(['approveGrant', 'createGrant', 'ciCredentials'].includes(name));
      expect(env.JIT_CONFIG_DIR, name).toBe(name === 'publishAuditEvents' ? undefined : '/var/task/config');
    }
  });

  it('runs the sweeper every five minutes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stateless.functions.get('sweep')), 'Arn'] } })],
    });
  });

  it('invokes the stream publisher only for inserted audit event items', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalId(stateless.functions.get('publishAuditEvents')) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ['INSERT'],
              dynamodb: { Keys: { SK: { S: [{ prefix: 'EVENT#' }] } } },
            }),
          },
        ],
      },
    });
    expect(actionsOf(statementsOf('publishAuditEvents'))).toContain('events:PutEvents');
  });

  it('alarms on dead letters and on every alert kind, through the alarm topic', () => {
    const filters = Object.values(template.findResources('AWS::Logs::MetricFilter'));
    for (const kind of ['kill-failed', 'kill-overflow', 'schedule-failed', 'break-glass']) {
      expect(
        filters.some((f) => f.Properties.FilterPattern === `{ $.alert = "${kind}" }`),
        kind
      ).toBe(true);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'JitBroker/Alerts',
        MetricName: kind,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^Alarms') }],
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: Match.objectLike({ 'Fn::GetAtt': [Match.stringLikeRegexp('^ExpiryDeadLetters'), 'QueueName'] }),
        },
      ],
    });
  });

  it('keeps audit-relevant logs a year', () => {
    const retention = (name: string) => {
      const fn = stateless.functions.get(name);
      const group = resources[logicalId(fn?.logGroup as never)];
      return group?.Properties.RetentionInDays;
    };
    for (const name of ['vendCredentials', 'revokeGrant', 'expire', 'sweep', 'publishAuditEvents']) {
      expect(retention(name), name).toBe(365);
    }
  });
});

describe('capacity under load', () => {
  const reservations = () =>
    Object.fromEntries(
      [...stateless.functions].flatMap(([name, fn]) => {
        const reserved = resourceOf(fn).Properties.ReservedConcurrentExecutions;
        return reserved === undefined ? [] : [[name, reserved]];
      })
    );

  it('reserves concurrency for the ending path only: expiry, done, revoke, CI done, the sweeper', () => {
    expect(reservations()).toEqual({ expire: 10, finishGrant: 5, revokeGrant: 5, ciDone: 5, sweep: 1 });
  });

  it('throttles the open routes and the ending routes each on its own, the rest by the stage default', () => {
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0] as {
      DependsOn?: string[];
      Properties: Record<string, unknown>;
    };
    expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 });
    const limit = (rate: number, burst: number) => ({ ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst });
    expect(stage.Properties.RouteSettings).toEqual({
      'GET /health': limit(5, 10),
      'POST /ci/credentials': limit(10, 20),
      'POST /ci/grants/{id}/credentials': limit(10, 20),
      'POST /ci/grants/{id}/done': limit(5, 10),
      'POST /grants/{id}/done': limit(5, 10),
      'POST /grants/{id}/revoke': limit(5, 10),
    });
    // CloudFormation refuses settings for routes that do not exist yet.
    const routes = Object.keys(template.findResources('AWS::ApiGatewayV2::Route'));
    expect(stage.DependsOn).toEqual(expect.arrayContaining(routes));
  });

  // A second synth (without bundling): slow under the whole suite's load.
  it('gives every route function a timeout the HTTP API waits for (30 s at most), and reports a whole vCPU', () => {
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html: 30 s, not raisable.
    const sizing = (name: string) => {
      const { Timeout, MemorySize } = resourceOf(stateless.functions.get(name)).Properties as {
        Timeout: number;
        MemorySize: number;
      };
      return { name, timeout: Timeout, memory: MemorySize };
    };
    const routes = ROUTES.map((route) => sizing(route.name));
    expect(routes.filter((r) => r.timeout >= 30)).toEqual([]);
    // A report verifies every grant's signed chain: CPU-bound, so it gets one vCPU (1,769 MB).
    expect(sizing('getReport')).toEqual({ name: 'getReport', timeout: 28, memory: 1769 });
    expect(routes.filter((r) => r.memory > 1024).map((r) => r.name)).toEqual(['getReport']);
  });

  it('skips the reservations when told to (-c reservedConcurrency=off), for accounts with a small quota', {
    timeout: 120_000,
  }, async () => {
    const app = new App({
      context: { 'aws:cdk:bundling-stacks': [], reservedConcurrency: 'off' },
      postCliContext: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' },
    });
    const { stateless: small } = await buildBrokerApp({ app, configDir: 'config', nag: false });
    const functions = Object.values(Template.fromStack(small).findResources('AWS::Lambda::Function'));
    expect(functions.filter((f) => f.Properties.ReservedConcurrentExecutions !== undefined)).toEqual([]);
  });
});

describe('alarms and outputs', () => {
  it('alarms when the audit stream falls five minutes behind', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Statistic: 'Maximum',
      Threshold: 300_000,
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stateless.functions.get('publishAuditEvents')) } }],
    });
  });

  it('subscribes an e-mail address only when the AlarmEmail parameter names one', () => {
    expect(template.toJSON().Parameters.AlarmEmail).toMatchObject({ Type: 'String', Default: '' });
    template.hasResource('AWS::SNS::Subscription', {
      Condition: 'AlarmEmailGiven',
      Properties: Match.objectLike({ Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' } }),
    });
    expect(template.toJSON().Conditions.AlarmEmailGiven).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmEmail' }, ''] }],
    });
  });

  it('outputs the API id and the execute-api ARN a caller permission set allows', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const api = logicalId(stateless.api);
    expect(outputs.ApiId?.Value).toEqual({ Ref: api });
    expect(outputs.ApiInvokeArn?.Value).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':execute-api:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':',
          { Ref: api },
          '/*',
        ],
      ],
    });
  });
});

describe('the bundles', () => {
  const assetOf = (name: string): string => {
    const fn = resources[logicalId(stateless.functions.get(name))] as unknown as { Metadata: Record<string, string> };
    return join(synth.outdir, fn.Metadata['aws:asset:path'] as string);
  };

  it('ship the configuration, iam-data only where scopes are narrowed, Cedar only where functions decide', () => {
    const narrowing = ['createGrant', 'extendGrant', 'ciCredentials'];
    const deciding = [...narrowing, 'approveGrant'];
    for (const name of [...deciding, 'vendCredentials', 'expire', 'ciDone', 'health', 'listGrants']) {
      expect(existsSync(join(assetOf(name), 'config', 'catalog.json')), name).toBe(true);
      expect(existsSync(join(assetOf(name), 'config', 'ci.json')), name).toBe(true);
      expect(existsSync(join(assetOf(name), 'data', 'actions', 's3.json')), name).toBe(narrowing.includes(name));
      expect(existsSync(join(assetOf(name), 'cedar_wasm_bg.wasm')), name).toBe(deciding.includes(name));
      expect(existsSync(join(assetOf(name), 'config', 'policies')), name).toBe(deciding.includes(name));
    }
    // The stream publisher never loads the configuration: neither it nor Cedar's 4 MB WASM ships there.
    expect(existsSync(join(assetOf('publishAuditEvents'), 'config')), 'publisher config').toBe(false);
    expect(existsSync(join(assetOf('publishAuditEvents'), 'cedar_wasm_bg.wasm')), 'publisher wasm').toBe(false);
  });

  it('narrow a scope with iam-data from inside the createGrant bundle, with no node_modules of its own', () => {
    // A copy of the bundle alone, with only the AWS SDK (which Lambda provides) resolvable beside it.
    const dir = mkdtempSync(join(tmpdir(), 'jit-bundle-'));
    cpSync(assetOf('createGrant'), dir, { recursive: true });
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(resolve('node_modules/@aws-sdk'), join(dir, 'node_modules', '@aws-sdk'));
    const probe = `
      process.env.JIT_CONFIG_DIR = ${JSON.stringify(join(dir, 'config'))};
      Object.assign(process.env, { TABLE_NAME: 't', SCHEDULE_GROUP: 'g', AWS_REGION: 'us-east-1',
        CHAIN_SIGNING_KEY_ARN: 'arn:aws:kms:us-east-1:123456789012:key/probe' });
      const { createGrant } = await import(${JSON.stringify(join(dir, 'index.mjs'))});
      const response = await createGrant({
        version: '2.0', routeKey: 'POST /grants', rawPath: '/grants', rawQueryString: '',
        headers: { 'content-type': 'application/json' }, isBase64Encoded: false,
        requestContext: { http: { method: 'POST', path: '/grants' }, requestId: 'r', authorizer: { iam: {
          accountId: '123456789012', userId: 'AROAEXAMPLEJITCALLER1:alice',
          userArn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_JitBrokerCaller_0123456789abcdef/alice' } } },
        body: JSON.stringify({ role: 'prod-read', durationSeconds: 1800, reason: 'reading the example bucket',
          scope: { actions: ['s3:GetObjekt'], resources: ['arn:aws:s3:::example-bucket/*'] } }),
      }, { functionName: 'createGrant', awsRequestId: 'r', getRemainingTimeInMillis: () => 10000 });
      process.stdout.write('\\nRESULT ' + JSON.stringify(response) + '\\n');
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
      cwd: dir,
      env: { PATH: process.env.PATH, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      encoding: 'utf8',
    });
    // Powertools logs to stdout too; the answer is the line marked RESULT.
    const line = out.split('\n').find((l) => l.startsWith('RESULT ')) ?? '';
    const response = JSON.parse(line.slice('RESULT '.length)) as { statusCode: number; body: string };
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).error.message).toContain("did you mean 's3:GetObject'?");
  });
});

describe('audit infrastructure', () => {
  const statefulTemplate = synth.template('JitBrokerStateful');

  it('sends CloudTrail API calls of grant sessions (source identity g-…), read-only ones too, to the recorder, with a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS',
      EventPattern: {
        'detail-type': ['AWS API Call via CloudTrail'],
        // Only AWS services emit `aws.` sources: a forged PutEvents event cannot reach the recorder.
        source: [{ prefix: 'aws.' }],
        detail: { userIdentity: { type: ['AssumedRole'], sessionContext: { sourceIdentity: [{ prefix: 'g-' }] } } },
      },
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.anyValue() })],
    });
  });

  it('lets the recorder write activity (Put/Update) and end grants as revokeGrant does (anomaly rules), nothing else', () => {
    const distinct = (name: string) => [...new Set(actionsOf(statementsOf(name)))].sort();
    const ending = distinct('revokeGrant');
    expect(distinct('recordActivity')).toEqual(
      [...new Set([...ending, 'dynamodb:PutItem', 'dynamodb:UpdateItem'])].sort()
    );
    expect(ending).toContain('iam:PutRolePolicy');
  });

  it('lets only the audit route call CloudTrail LookupEvents', () => {
    for (const name of synth.stateless.functions.keys()) {
      const looksUp = actionsOf(statementsOf(name)).includes('cloudtrail:LookupEvents');
      expect(looksUp, name).toBe(name === 'getGrantAudit');
    }
  });

  it('archives with s3:PutObject only, under audit/, and tells the publisher the bucket', () => {
    const s3 = actionsOf(statementsOf('publishAuditEvents')).filter((a) => a.startsWith('s3:'));
    expect(s3).toEqual(['s3:PutObject']);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ AUDIT_ARCHIVE_BUCKET: Match.anyValue() }) },
    });
  });

  it('keeps the audit archive under Object Lock (compliance, one year), versioned, encrypted, private, SSL-only, retained', () => {
    statefulTemplate.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
        },
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: Match.anyValue(),
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      }),
    });
    statefulTemplate.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('alarms when a grant is used after its end', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'used-after-end' });
  });
});
