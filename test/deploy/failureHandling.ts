import type { DeployedStacks } from './cloudFormation.js';
import { policiesOfRole, refTo, roleSession, STACK } from './deployedFunctions.js';
import { type Deployment, decide } from './permissions.js';

/**
 * Asynchronous work must not fail silently: every target invoked asynchronously (rules, expiry
 * schedules, the stream, asynchronous invocations) has a dead-letter queue that something can
 * write to, every queue and every function has an alarm that notifies someone, and so do the
 * API's 5xx answers. Each finding names the target or function and what it lacks.
 */
interface Context {
  readonly stacks: DeployedStacks;
  readonly deployment: Deployment;
  readonly alarms: readonly DeployedAlarm[];
}

interface DeployedAlarm {
  readonly namespace: string;
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly actions: readonly string[];
}

const alarmsOf = (stacks: DeployedStacks): DeployedAlarm[] =>
  stacks.resourcesOf(STACK, 'AWS::CloudWatch::Alarm').map(([, alarm]) => {
    const p = stacks.resolve(STACK, alarm.Properties ?? {}) as {
      Namespace?: string;
      MetricName?: string;
      Dimensions?: { Name: string; Value: string }[];
      AlarmActions?: string[];
    };
    return {
      namespace: p.Namespace ?? '',
      metric: p.MetricName ?? '',
      dimensions: Object.fromEntries((p.Dimensions ?? []).map((d) => [d.Name, d.Value])),
      actions: p.AlarmActions ?? [],
    };
  });

const alarmed = (c: Context, namespace: string, metric: string, dimension: string, value: string): boolean =>
  c.alarms.some(
    (a) => a.namespace === namespace && a.metric === metric && a.dimensions[dimension] === value && a.actions.length > 0
  );

const queueName = (arn: string): string => arn.slice(arn.lastIndexOf(':') + 1);

const deadLetters = (c: Context, what: string, arn: string | undefined): string[] => {
  if (arn === undefined) return [`${what}: no dead-letter queue`];
  return alarmed(c, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queueName(arn))
    ? []
    : [`${what}: its dead-letter queue ${queueName(arn)} has no alarm on its depth`];
};

/** The on-failure destination of an event source mapping or an asynchronous invocation config. */
const onFailureOf = (properties: Record<string, unknown>): string | undefined =>
  (properties.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)?.OnFailure?.Destination;

const nameOf = (c: Context, logicalId: string): string =>
  c.deployment.functions.find((fn) => fn.logicalId === logicalId)?.name ?? logicalId;

/** Requests Lambda makes with the function's own role on its behalf (polling a stream, dead-lettering). */
const lambdaMay = async (
  c: Context,
  fnId: string,
  what: string,
  requests: readonly { action: string; resource: string }[]
): Promise<string[]> => {
  const fn = c.deployment.functions.find((f) => f.logicalId === fnId);
  if (fn === undefined) return [`${what}: no function ${fnId}`];
  const problems: string[] = [];
  for (const request of requests) {
    const decision = await decide(c.deployment, fn, { ...request, context: {} });
    if (decision !== 'Allowed') {
      problems.push(
        `${what}: Lambda cannot ${request.action} on ${request.resource} with ${fn.name}'s role: ${decision}`
      );
    }
  }
  return problems;
};

const sendTo = (queueArn: string | undefined) =>
  queueArn === undefined ? [] : [{ action: 'sqs:SendMessage', resource: queueArn }];

const ruleFindings = (c: Context): string[] => {
  const byArn = new Map(
    c.stacks
      .resourcesOf(STACK, 'AWS::Lambda::Function')
      .map(([id]) => [c.stacks.resolveString(STACK, { 'Fn::GetAtt': [id, 'Arn'] }), id] as const)
  );
  return c.stacks.resourcesOf(STACK, 'AWS::Events::Rule').flatMap(([id, rule]) =>
    (c.stacks.resolve(STACK, rule.Properties?.Targets ?? []) as Record<string, unknown>[]).flatMap((target) => {
      const fn = byArn.get(String(target.Arn));
      const what = `rule ${id} → ${fn === undefined ? String(target.Arn) : nameOf(c, fn)}`;
      return [
        ...deadLetters(c, what, (target.DeadLetterConfig as { Arn?: string } | undefined)?.Arn),
        ...(target.RetryPolicy === undefined ? [`${what}: no retry policy`] : []),
      ];
    })
  );
};

const STREAM_READS = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'];

const eventSourceFindings = async (c: Context): Promise<string[]> => {
  const problems: string[] = [];
  for (const [id, mapping] of c.stacks.resourcesOf(STACK, 'AWS::Lambda::EventSourceMapping')) {
    const p = c.stacks.resolve(STACK, mapping.Properties ?? {}) as Record<string, unknown>;
    const fnId = refTo(mapping.Properties?.FunctionName) ?? id;
    const what = `event source ${id} → ${nameOf(c, fnId)}`;
    const stream = String(p.EventSourceArn);
    problems.push(...deadLetters(c, what, onFailureOf(p)));
    problems.push(...(await lambdaMay(c, fnId, what, sendTo(onFailureOf(p)))));
    if (!stream.includes(':dynamodb:')) continue;
    if (!alarmed(c, 'AWS/Lambda', 'IteratorAge', 'FunctionName', c.stacks.physicalName(STACK, fnId))) {
      problems.push(`${what}: no alarm on its iterator age (a stuck stream would go unnoticed)`);
    }
    const reads = [
      ...STREAM_READS.map((action) => ({ action, resource: stream })),
      { action: 'dynamodb:ListStreams', resource: '*' },
    ];
    problems.push(...(await lambdaMay(c, fnId, what, reads)));
  }
  return problems;
};

const asyncInvokeFindings = async (c: Context): Promise<string[]> => {
  const problems: string[] = [];
  for (const [id, config] of c.stacks.resourcesOf(STACK, 'AWS::Lambda::EventInvokeConfig')) {
    const fnId = refTo(config.Properties?.FunctionName) ?? id;
    const p = c.stacks.resolve(STACK, config.Properties ?? {}) as Record<string, unknown>;
    const what = `asynchronous invocations of ${nameOf(c, fnId)}`;
    problems.push(...deadLetters(c, what, onFailureOf(p)));
    problems.push(...(await lambdaMay(c, fnId, what, sendTo(onFailureOf(p)))));
  }
  return problems;
};

/**
 * Expiry schedules are created at run time, so the template holds only what they will name: the
 * functions that schedule carry the target, the role and the dead-letter queue in their environment.
 * The queue must be in the stack and alarmed, and the role must let Scheduler invoke the target
 * and dead-letter to the queue.
 */
const scheduleFindings = async (c: Context): Promise<string[]> => {
  const arnsOf = (type: string) =>
    new Map(
      c.stacks
        .resourcesOf(STACK, type)
        .map(([id]) => [c.stacks.resolveString(STACK, { 'Fn::GetAtt': [id, 'Arn'] }), id] as const)
    );
  const roles = arnsOf('AWS::IAM::Role');
  const queues = arnsOf('AWS::SQS::Queue');
  const problems: string[] = [];
  for (const fn of c.deployment.functions.filter((f) => f.environment.EXPIRY_FUNCTION_ARN !== undefined)) {
    const { EXPIRY_FUNCTION_ARN: target, SCHEDULER_ROLE_ARN: roleArn, EXPIRY_DLQ_ARN: dlq } = fn.environment;
    const what = `expiry schedules created by ${fn.name}`;
    problems.push(...deadLetters(c, what, dlq));
    if (dlq !== undefined && !queues.has(dlq)) problems.push(`${what}: dead-letter queue ${dlq} is not in the stack`);
    const roleId = roles.get(String(roleArn));
    if (roleId === undefined) {
      problems.push(`${what}: Scheduler's role ${roleArn} is not in the stack`);
      continue;
    }
    const scheduler = {
      principal: roleSession(c.stacks, roleId, 'scheduler'),
      policies: policiesOfRole(c.stacks, roleId),
    };
    for (const request of [
      { action: 'lambda:InvokeFunction', resource: String(target), context: {} },
      { action: 'sqs:SendMessage', resource: String(dlq), context: {} },
    ]) {
      const decision = await decide(c.deployment, scheduler, request);
      if (decision !== 'Allowed') {
        problems.push(`${what}: Scheduler's role may not ${request.action} on ${request.resource}: ${decision}`);
      }
    }
  }
  return problems;
};

const alarmFindings = (c: Context): string[] => [
  ...c.deployment.functions.flatMap((fn) =>
    ['Errors', 'Throttles']
      .filter((metric) => !alarmed(c, 'AWS/Lambda', metric, 'FunctionName', c.stacks.physicalName(STACK, fn.logicalId)))
      .map((metric) => `${fn.name}: no alarm on its ${metric}`)
  ),
  ...c.stacks
    .resourcesOf(STACK, 'AWS::ApiGatewayV2::Api')
    .filter(([id]) => !alarmed(c, 'AWS/ApiGateway', '5xx', 'ApiId', c.stacks.physicalName(STACK, id)))
    .map(([id]) => `API ${id}: no alarm on its 5xx answers`),
];

const failureFindings = async (stacks: DeployedStacks, deployment: Deployment): Promise<string[]> => {
  const c: Context = { stacks, deployment, alarms: alarmsOf(stacks) };
  return [
    ...ruleFindings(c),
    ...(await eventSourceFindings(c)),
    ...(await asyncInvokeFindings(c)),
    ...(await scheduleFindings(c)),
    ...alarmFindings(c),
  ];
};

export { failureFindings };
