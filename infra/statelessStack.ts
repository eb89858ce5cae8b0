import { Aws, CfnOutput, Duration, Fn, Stack, type StackProps, Token } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { type CfnStage, HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, FilterRule, type IFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { DEFAULT_SESSION_KILLER_ROLE_NAME } from '../functions/adapters/aws/crossAccountRolePolicies.js';
import { EVENT_SK_PREFIX } from '../functions/adapters/aws/grantItems.js';
import type { BrokerConfig } from '../functions/config/brokerConfig.js';
import { bundleOf } from '../functions/handlers/lambda/bundles.js';
import { ROUTES } from '../functions/handlers/routes.js';
import { activityRecorder } from './activityRecorder.js';
import { brokerAlarms } from './brokerAlarms.js';
import { brokerFunction } from './brokerFunction.js';
import {
  DEFAULT_ROUTE_THROTTLE,
  ENDING_RESERVED_CONCURRENCY,
  RESERVED_CONCURRENCY_CONTEXT,
  routeSettings,
} from './capacity.js';
import { type Capability, dataStatements, FUNCTION_ACCESS } from './functionAccess.js';
import { type OrgKillWiring, wireOrgKill } from './orgKill.js';
import { REPORT_FUNCTION } from './reportFunction.js';
import { killStatements, sessionKillerArns } from './sessionKiller.js';
import { MANAGED_TAG, SESSION_TAG_KEYS, SOURCE_IDENTITY_PATTERN } from './targetRole.js';

/** Expiry schedules are named `jit-expire-<grant id>` (functions/adapters/aws/schedulerExpiry.ts). */
const EXPIRY_SCHEDULE_PREFIX = 'jit-expire-';

const STREAM_ENTRY = 'functions/handlers/auditStream.ts';

interface StatelessStackProps extends StackProps {
  readonly table: Table;
  /** Validated configuration: the catalog's role ARNs become the only roles the broker may touch. */
  readonly config: BrokerConfig;
  /** The directory the configuration was loaded from; copied into every bundle. */
  readonly configDir: string;
  /**
   * The default of the `AlarmEmail` parameter: where alarms go by e-mail, if anywhere (the parameter
   * can be set at deploy time; subscriptions can also be added to the topic later).
   */
  readonly alarmEmail?: string;
  /** EventBridge Scheduler group for expiry schedules. */
  readonly scheduleGroupName?: string;
  /**
   * The name of the session killer role (JitSessionKiller) in each workload account; default
   * `jit-broker-session-killer`.
   */
  readonly sessionKillerRoleName?: string;
  /** The Object Lock bucket the stream publisher archives every audit event to (StatefulStack). */
  readonly auditArchive?: IBucket;
  /** The key that signs audit chain heads (StatefulStack; infra/chainSigningKey.ts). */
  readonly chainKey?: IKey;
  /** The organization-wide kill, when on: its SCP and the org killer that writes it (infra/orgKill.ts). */
  readonly orgKill?: OrgKillWiring;
}

/**
 * A function's code: its bundle's entry (functions/handlers/lambda/bundles.ts), and what the bundle
 * ships besides the configuration.
 */
const bundled = (name: string) => {
  const bundle = bundleOf(name);
  return {
    entry: bundle.entry,
    withPolicies: bundle.ships.includes('policies'),
    withIamData: bundle.ships.includes('actionCatalog'),
  };
};

/** Functions that narrow a scope (a request, an extension, a CI job's deploy): their bundle ships iam-data. */
const narrows = (name: string): boolean => bundleOf(name).ships.includes('actionCatalog');

/**
 * Memory (CPU comes with it) and timeout of a route's function: narrowing a scope may expand `*`
 * across the whole IAM action catalog (~0.5 s, more with more CPU); a report reads and verifies up
 * to 10,000 grants (infra/reportFunction.ts); everything else answers in well under a second.
 */
const routeSizing = (name: string): { memorySize: number; timeout: Duration } => {
  if (name === 'getReport') {
    return { memorySize: REPORT_FUNCTION.memoryMb, timeout: Duration.seconds(REPORT_FUNCTION.timeoutSeconds) };
  }
  return narrows(name)
    ? { memorySize: 1024, timeout: Duration.seconds(20) }
    : { memorySize: 512, timeout: Duration.seconds(10) };
};

/**
 * Everything that can be replaced on redeploy: the HTTP API (IAM auth on every human route), one
 * function per route, the expiry function (target of the per-grant schedules) and its dead-letter
 * queue, the sweeper on a five-minute rule, the schedule group and the role Scheduler uses, the
 * domain-event bus fed from the table's stream, and the alarms.
 */
class StatelessStack extends Stack {
  readonly api: HttpApi;
  /**
   * `arn:<partition>:execute-api:<region>:<account>:<api id>/*`: every route of every stage, the
   * resource of the `execute-api:Invoke` statement callers need (an Identity Center permission set).
   */
  readonly apiInvokeArn: string;
  readonly functions: ReadonlyMap<string, NodejsFunction>;
  readonly eventBus: EventBus;
  readonly scheduleGroupName: string;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { table, config } = props;
    const groupName = props.scheduleGroupName ?? 'jit-broker-expiry';
    this.scheduleGroupName = groupName;

    // --- dead-letter queues ------------------------------------------------------------------
    // Expiries that never happened: Scheduler's dead letters (after 185 retries / 24 h) and the
    // expiry function's own failed async invocations. Every message is a grant whose end is late.
    const expiryDlq = new Queue(this, 'ExpiryDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // Everything else that failed after retries: sweeper runs, stream batches, alarm e-mails.
    const failureDlq = new Queue(this, 'FailedInvocations', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const reserved = (name: string): { reservedConcurrency?: number } => {
      const off = String(this.node.tryGetContext(RESERVED_CONCURRENCY_CONTEXT)) === 'off';
      const count = ENDING_RESERVED_CONCURRENCY[name];
      return off || count === undefined ? {} : { reservedConcurrency: count };
    };

    // --- expiry scheduling ------------------------------------------------------------------
    const scheduleGroup = new CfnScheduleGroup(this, 'ExpirySchedules', { name: groupName });
    const groupArn = this.formatArn({ service: 'scheduler', resource: 'schedule-group', resourceName: groupName });
    // Account and region as pseudo parameters even when the stack has an environment: the template
    // then names this wildcard the same way in both cases, as its cdk-nag acknowledgement does.
    const expirySchedulesArn = this.formatArn({
      account: Aws.ACCOUNT_ID,
      region: Aws.REGION,
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${groupName}/${EXPIRY_SCHEDULE_PREFIX}*`,
    });

    const functions = new Map<string, NodejsFunction>();
    const baseEnv = { TABLE_NAME: table.tableName, SCHEDULE_GROUP: groupName };

    const expire = brokerFunction(this, 'expire', {
      ...bundled('expire'),
      handler: 'expire',
      description: 'jit-broker: ends a grant when its expiry schedule fires',
      configDir: props.configDir,
      environment: baseEnv,
      timeout: Duration.seconds(60),
      auditRelevant: true,
      ...reserved('expire'),
    });
    expire.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(expiryDlq),
    });
    functions.set('expire', expire);

    // Scheduler's execution role: invoke the expiry function, dead-letter to its queue, nothing else.
    // Trusted only for this account's schedules in this group (confused-deputy protection).
    const schedulerRole = new Role(this, 'SchedulerRole', {
      description: 'jit-broker: EventBridge Scheduler invokes the expiry function with this role',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': this.account, 'aws:SourceArn': groupArn },
      }),
    });
    schedulerRole.addToPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [expire.functionArn] })
    );
    schedulerRole.addToPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [expiryDlq.queueArn] }));

    // --- one function per route ---------------------------------------------------------------
    for (const route of ROUTES) {
      const readOnly = route.method === 'GET';
      const schedules = (FUNCTION_ACCESS[route.name] ?? []).includes('scheduleExpiry');
      const readsArchive = (FUNCTION_ACCESS[route.name] ?? []).includes('readArchive') && props.auditArchive;
      functions.set(
        route.name,
        brokerFunction(this, route.name, {
          ...bundled(route.name),
          handler: route.name,
          description: `jit-broker: ${route.method} ${route.path}`,
          configDir: props.configDir,
          environment: {
            ...baseEnv,
            ...(schedules
              ? {
                  EXPIRY_FUNCTION_ARN: expire.functionArn,
                  SCHEDULER_ROLE_ARN: schedulerRole.roleArn,
                  EXPIRY_DLQ_ARN: expiryDlq.queueArn,
                }
              : {}),
            ...(readsArchive ? { AUDIT_ARCHIVE_BUCKET: props.auditArchive.bucketName } : {}),
          },
          ...routeSizing(route.name),
          auditRelevant: !readOnly,
          ...reserved(route.name),
        })
      );
    }

    const sweep = brokerFunction(this, 'sweep', {
      ...bundled('sweep'),
      handler: 'sweep',
      description: 'jit-broker: reconciles lost schedules, failed kills and due prunes',
      configDir: props.configDir,
      environment: baseEnv,
      timeout: Duration.minutes(4),
      auditRelevant: true,
      ...reserved('sweep'),
    });
    // A run that waited (throttled behind the one before it) for longer than the next run's start is
    // not worth doing twice: the next run does the same work.
    sweep.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: Duration.minutes(5),
      onFailure: new SqsDestination(failureDlq),
    });
    functions.set('sweep', sweep);
    new Rule(this, 'SweepEveryFiveMinutes', {
      description: 'jit-broker: runs the sweeper',
      schedule: Schedule.rate(Duration.minutes(5)),
      // Missed runs are not worth replaying: the next run, five minutes later, does the same work.
      targets: [
        new LambdaFunction(sweep, { deadLetterQueue: failureDlq, retryAttempts: 2, maxEventAge: Duration.minutes(5) }),
      ],
    });

    // --- live activity: CloudTrail API calls of grant sessions ---------------------------------
    const { recorder } = activityRecorder(this, {
      entry: bundleOf('recordActivity').entry,
      configDir: props.configDir,
      environment: baseEnv,
      deadLetters: failureDlq,
    });
    functions.set('recordActivity', recorder);

    // --- least-privilege grants ----------------------------------------------------------------
    const targetRoleArns = [...new Set([...config.catalog.roles.values()].map((r) => r.roleArn))].sort();
    const killerRoleName = props.sessionKillerRoleName ?? DEFAULT_SESSION_KILLER_ROLE_NAME;
    // Kills on roles in other accounts go through each account's session killer. In an
    // environment-agnostic stack the broker's account is unknown at synth, so every catalog account
    // is kept: the killer of the broker's own account is never assumed (and not deployed).
    const killerRoleArns = sessionKillerArns(
      targetRoleArns,
      Token.isUnresolved(this.account) ? undefined : this.account,
      killerRoleName
    );
    const killers: NodejsFunction[] = [];
    for (const [name, fn] of functions) {
      const capabilities = FUNCTION_ACCESS[name] ?? [];
      for (const capability of capabilities) {
        for (const statement of this.#statements(capability, {
          table,
          ...(props.chainKey ? { chainKey: props.chainKey } : {}),
          ...(props.auditArchive ? { auditArchive: props.auditArchive } : {}),
          expirySchedulesArn,
          schedulerRoleArn: schedulerRole.roleArn,
          targetRoleArns,
          killerRoleArns,
        })) {
          fn.addToRolePolicy(statement);
        }
      }
      // The key's ARN only where the function may use the key (a function that may not is refused anyway).
      if (props.chainKey && (capabilities.includes('signChain') || capabilities.includes('verifyChain'))) {
        fn.addEnvironment('CHAIN_SIGNING_KEY_ARN', props.chainKey.keyArn);
      }
      if (capabilities.includes('killSessions')) {
        fn.addEnvironment('BROKER_ACCOUNT_ID', this.account);
        fn.addEnvironment('SESSION_KILLER_ROLE_NAME', killerRoleName);
        killers.push(fn);
      }
    }

    // --- organization-wide kill (optional): the ending functions also write the kill SCP -----
    if (props.orgKill !== undefined) for (const fn of killers) wireOrgKill(fn, props.orgKill);

    // --- HTTP API -----------------------------------------------------------------------------
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: RetentionDays.ONE_YEAR });
    this.api = new HttpApi(this, 'Api', {
      description: 'jit-broker: just-in-time AWS access (SigV4 on every route but /health)',
      createDefaultStage: false,
    });
    const stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: DEFAULT_ROUTE_THROTTLE,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            caller: '$context.identity.userArn',
            sourceIp: '$context.identity.sourceIp',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
          })
        ),
      },
    });
    const iam = new HttpIamAuthorizer();
    for (const route of ROUTES) {
      const added = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.name}Integration`, functions.get(route.name) as IFunction),
        ...(route.auth === 'iam' ? { authorizer: iam } : {}),
      });
      // Route settings name route keys: CloudFormation refuses them before the routes exist.
      stage.node.addDependency(...added);
    }
    // Per-route throttles (infra/capacity.ts): the routes anyone can reach, and the ending routes.
    (stage.node.defaultChild as CfnStage).routeSettings = routeSettings(ROUTES);
    this.apiInvokeArn = this.formatArn({ service: 'execute-api', resource: this.api.apiId, resourceName: '*' });

    // --- domain events from the table's stream ------------------------------------------------
    this.eventBus = new EventBus(this, 'DomainEvents', { description: 'jit-broker: grant lifecycle events' });
    const publisher = brokerFunction(this, 'publishAuditEvents', {
      entry: STREAM_ENTRY,
      handler: 'publishAuditEvents',
      description: 'jit-broker: publishes each new audit event to the domain-event bus',
      environment: {
        EVENT_BUS_NAME: this.eventBus.eventBusName,
        ...(props.auditArchive ? { AUDIT_ARCHIVE_BUCKET: props.auditArchive.bucketName } : {}),
      },
      timeout: Duration.seconds(30),
      memorySize: 256,
      auditRelevant: true,
      // Its S3 writes depend on the SDK's request shape (If-None-Match, checksums): ship the locked version.
      bundleAwsSdk: true,
    });
    this.eventBus.grantPutEventsTo(publisher);
    // Write only: new objects under audit/, never reads, deletes or retention changes.
    if (props.auditArchive) {
      publisher.addToRolePolicy(
        new PolicyStatement({ actions: ['s3:PutObject'], resources: [props.auditArchive.arnForObjects('audit/*')] })
      );
    }
    publisher.addEventSource(
      new DynamoEventSource(table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 20,
        maxRecordAge: Duration.hours(24),
        onFailure: new SqsDlq(failureDlq),
        // Only new audit event items invoke it: grants, kill records and updates never do.
        filters: [
          FilterCriteria.filter({
            eventName: FilterRule.isEqual('INSERT'),
            dynamodb: { Keys: { SK: { S: FilterRule.beginsWith(EVENT_SK_PREFIX) } } },
          }),
        ],
      })
    );
    functions.set('publishAuditEvents', publisher);
    this.functions = functions;

    // --- alarms ---------------------------------------------------------------------------------
    const alarmTopic = brokerAlarms(this, {
      functions,
      // Every function that changes grants may raise an alert.
      alerting: [...functions.keys()].filter(
        (name) => name !== 'health' && ROUTES.find((r) => r.name === name)?.method !== 'GET'
      ),
      api: this.api,
      streamPublisher: publisher,
      deadLetterQueues: [
        {
          queue: expiryDlq,
          meaning: 'A grant expiry was dead-lettered: the sweeper ends it, but look at why the schedule failed',
        },
        {
          queue: failureDlq,
          meaning: 'A sweeper run, an activity event, a stream batch or an alarm e-mail failed after every retry',
        },
      ],
      subscriptionDeadLetters: failureDlq,
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
    new CfnOutput(this, 'ApiId', { value: this.api.apiId });
    new CfnOutput(this, 'ApiInvokeArn', {
      value: this.apiInvokeArn,
      description:
        'Parameter BrokerApiInvokeArn of the JitCallerAccess stack: the permission set callers sign in with (docs/deploy.md)',
    });
    // The vend route's role, and the request route's: a request approved at once vends its first
    // credentials itself (`POST /grants?credentials=true`). One output, comma-separated, under the
    // name deployments already pass on (docs/deploy.md, "Upgrading").
    /** The functions' role ARNs, comma-separated: what the trusting stacks take as one parameter. */
    const roleArnsOf = (fns: readonly NodejsFunction[]) =>
      Fn.join(
        ',',
        fns.map((fn) => fn.role?.roleArn ?? '')
      );
    const named = (...names: string[]) => names.map((name) => functions.get(name) as NodejsFunction);
    new CfnOutput(this, 'VendRoleArn', {
      value: roleArnsOf(named('vendCredentials', 'createGrant')),
      description: 'Trust these roles in target roles (JitTargetRole brokerRoleArns; comma-separated)',
    });
    new CfnOutput(this, 'CiVendRoleArns', {
      value: roleArnsOf(named('ciCredentials', 'ciRevend')),
      description: 'Trust these too in target roles CI jobs deploy with (JitTargetRole brokerRoleArns; docs/ci.md)',
    });
    new CfnOutput(this, 'SessionKillerTrustedRoleArns', {
      value: roleArnsOf(killers),
      description: 'Trust these roles in each workload account session killer (JitSessionKiller brokerRoleArns)',
    });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.eventBusName });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarmTopic.topicArn });
    new CfnOutput(this, 'ScheduleGroupName', { value: scheduleGroup.ref });
  }

  /** IAM statements for one capability. Every `*` left in a resource is explained where it is. */
  #statements(
    capability: Capability,
    refs: {
      table: Table;
      chainKey?: IKey;
      auditArchive?: IBucket;
      expirySchedulesArn: string;
      schedulerRoleArn: string;
      targetRoleArns: readonly string[];
      killerRoleArns: readonly string[];
    }
  ): PolicyStatement[] {
    // The table, the chain key and the archive: infra/functionAccess.ts (per-partition table writes).
    const data = dataStatements(capability, refs);
    if (data !== undefined) return data;
    const managed = (prefix: 'aws' | 'iam') => ({
      StringEquals: { [`${prefix}:ResourceTag/${MANAGED_TAG.key}`]: MANAGED_TAG.value },
    });
    switch (capability) {
      case 'scheduleExpiry':
        return [
          new PolicyStatement({
            actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule'],
            // Schedules are created per grant at run time, so their names end in a wildcard; the
            // group and the `jit-expire-` prefix are as narrow as a schedule ARN can be known.
            resources: [refs.expirySchedulesArn],
          }),
          new PolicyStatement({
            actions: ['iam:PassRole'],
            resources: [refs.schedulerRoleArn],
            conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
          }),
        ];
      case 'cancelExpiry':
        return [
          new PolicyStatement({
            actions: ['scheduler:DeleteSchedule'],
            // Per-grant schedule names, as above.
            resources: [refs.expirySchedulesArn],
          }),
        ];
      case 'assumeTargets':
        return [
          new PolicyStatement({
            actions: ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'],
            // Only the catalog's roles, and only those tagged as managed by the broker.
            resources: [...refs.targetRoleArns],
            conditions: managed('aws'),
          }),
          // Defence in depth, matching the target role's own trust policy.
          new PolicyStatement({
            effect: Effect.DENY,
            actions: ['sts:TagSession'],
            resources: ['*'],
            conditions: { 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': [...SESSION_TAG_KEYS] } },
          }),
          new PolicyStatement({
            effect: Effect.DENY,
            actions: ['sts:SetSourceIdentity'],
            resources: ['*'],
            conditions: { StringNotLike: { 'sts:SourceIdentity': SOURCE_IDENTITY_PATTERN } },
          }),
        ];
      case 'killSessions':
        return [
          // The catalog's roles, tagged managed and (for writes) bounded; for roles in other
          // accounts this grants nothing: IAM answers those only from inside (infra/sessionKiller.ts).
          ...killStatements(refs.targetRoleArns),
          // Roles in other accounts are changed through their account's session killer
          // (JitSessionKiller), only the accounts the catalog names.
          ...(refs.killerRoleArns.length === 0
            ? []
            : [new PolicyStatement({ actions: ['sts:AssumeRole'], resources: [...refs.killerRoleArns] })]),
        ];
      case 'lookupActivity':
        // LookupEvents has no resource-level permissions: "*" is the only resource IAM accepts.
        return [new PolicyStatement({ actions: ['cloudtrail:LookupEvents'], resources: ['*'] })];
      default:
        throw new Error(`no IAM statements for capability ${capability}`);
    }
  }
}

export type { StatelessStackProps };
export { StatelessStack };
