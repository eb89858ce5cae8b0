import { CfnCondition, CfnParameter, Duration, Fn, type Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, type IMetric, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { type CfnSubscription, Subscription, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';

/** The alert kinds functions/adapters/loggingAlerts.ts logs (`"alert": "<kind>"`). */
const ALERT_KINDS = [
  'kill-failed',
  'kill-overflow',
  'schedule-failed',
  'break-glass',
  'used-after-end',
  'anomaly',
  'audit-tampered',
] as const;
const ALERT_NAMESPACE = 'JitBroker/Alerts';

const ALERT_DESCRIPTIONS: Record<(typeof ALERT_KINDS)[number], string> = {
  'kill-failed': 'Ending a grant could not kill its live sessions (the sweeper retries): credentials may still work',
  'kill-overflow': "A role's kill policy overflowed: every older session on the role is denied",
  'schedule-failed': 'An approved grant has no expiry schedule: only the sweeper will end it',
  'break-glass': 'Break-glass access was used',
  'used-after-end': "A grant's credentials were used after the grant ended: the kill did not hold, or keys leaked",
  anomaly: 'An anomaly rule (config/anomaly.json) revoked or flagged a grant: the evidence is in its audit',
  'audit-tampered':
    'A grant record or kill record does not match its signed audit chain: someone wrote the table outside the broker (jit audit <grant> --archive)',
};

/** The CloudFormation parameter that subscribes an address to the alarm topic (empty: none). */
const ALARM_EMAIL_PARAMETER = 'AlarmEmail';

/** The audit stream publisher is late when its oldest unprocessed record is this old. */
const ITERATOR_AGE_LIMIT = Duration.minutes(5);

interface BrokerAlarmsProps {
  /** Every function of the stack, by handler name. */
  readonly functions: ReadonlyMap<string, NodejsFunction>;
  /** Functions whose log lines may raise alerts (they change grants). */
  readonly alerting: readonly string[];
  readonly api: HttpApi;
  /** The function that reads the table's stream. */
  readonly streamPublisher: NodejsFunction;
  /** Every dead-letter queue, with what a message in it means. */
  readonly deadLetterQueues: readonly { readonly queue: Queue; readonly meaning: string }[];
  /** Where the e-mail subscription's own failures go. */
  readonly subscriptionDeadLetters: Queue;
  /** The parameter's default (`-c alarmEmail=…`); it can be changed on every deploy or in the console. */
  readonly alarmEmail?: string;
}

/**
 * The alarms, all to one SNS topic (KMS-encrypted; CloudWatch may use the key), with an optional
 * e-mail subscription from the `AlarmEmail` parameter:
 * - every alert kind the functions log (metric filters on their log groups);
 * - every function's Errors and Throttles, one alarm each: the alarm's name says which function
 *   broke, and an aggregate over metric math would cost the same (each metric of an alarm is billed);
 * - API Gateway 5xx answers; the stream publisher's iterator age; every dead-letter queue's depth.
 */
const brokerAlarms = (stack: Stack, props: BrokerAlarmsProps): Topic => {
  const key = new Key(stack, 'AlarmTopicKey', {
    enableKeyRotation: true,
    description: 'jit-broker: encrypts the alarm topic; CloudWatch alarms may use it to publish',
  });
  key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
  const topic = new Topic(stack, 'Alarms', { masterKey: key, enforceSSL: true });
  subscribeEmail(stack, topic, props);

  const alarm = (id: string, metric: IMetric, description: string, threshold = 1) =>
    new Alarm(stack, id, {
      metric,
      alarmDescription: description,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(topic));

  for (const { queue, meaning } of props.deadLetterQueues) {
    alarm(
      `${queue.node.id}Alarm`,
      queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      meaning
    );
  }

  // Alerts are log lines with an `alert` field; every function that changes grants may raise one.
  for (const name of props.alerting) {
    const fn = props.functions.get(name);
    if (fn === undefined) throw new Error(`no function ${name} to watch for alerts`);
    for (const kind of ALERT_KINDS) {
      new MetricFilter(stack, `${name}Alert-${kind}`, {
        logGroup: fn.logGroup,
        filterPattern: FilterPattern.stringValue('$.alert', '=', kind),
        metricNamespace: ALERT_NAMESPACE,
        metricName: kind,
        metricValue: '1',
      });
    }
  }
  for (const kind of ALERT_KINDS) {
    alarm(
      `Alert-${kind}`,
      new Metric({ namespace: ALERT_NAMESPACE, metricName: kind, statistic: 'Sum', period: Duration.minutes(1) }),
      ALERT_DESCRIPTIONS[kind]
    );
  }

  const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' };
  for (const [name, fn] of props.functions) {
    alarm(
      `${name}Errors`,
      fn.metricErrors(fiveMinutes),
      `jit-broker ${name} failed (an error, a timeout or a crash): see its log group`
    );
    alarm(
      `${name}Throttles`,
      fn.metricThrottles(fiveMinutes),
      `jit-broker ${name} was throttled: its reserved concurrency or the account's concurrency is used up`
    );
  }
  alarm(
    'Api5xx',
    props.api.metricServerError(fiveMinutes),
    'The API answered 5xx: a function failed, timed out or was throttled (the access log names the route)'
  );
  alarm(
    'AuditStreamIteratorAge',
    props.streamPublisher.metric('IteratorAge', { period: Duration.minutes(5), statistic: 'Maximum' }),
    `Audit events are reaching the bus and the archive more than ${ITERATOR_AGE_LIMIT.toMinutes()} minutes late: ` +
      'the stream publisher fails or falls behind (records older than 24 h are dead-lettered)',
    ITERATOR_AGE_LIMIT.toMilliseconds()
  );
  return topic;
};

/** The e-mail subscription exists only when the parameter is not empty. */
const subscribeEmail = (stack: Stack, topic: Topic, props: BrokerAlarmsProps): void => {
  const email = new CfnParameter(stack, ALARM_EMAIL_PARAMETER, {
    type: 'String',
    default: props.alarmEmail ?? '',
    allowedPattern: '^$|^[^@\\s]+@[^@\\s]+$',
    description: 'An e-mail address to receive the broker alarms (confirm the subscription mail); empty: none',
  });
  const subscribed = new CfnCondition(stack, 'AlarmEmailGiven', {
    expression: Fn.conditionNot(Fn.conditionEquals(email.valueAsString, '')),
  });
  const subscription = new Subscription(stack, 'AlarmEmailSubscription', {
    topic,
    protocol: SubscriptionProtocol.EMAIL,
    endpoint: email.valueAsString,
    deadLetterQueue: props.subscriptionDeadLetters,
  });
  (subscription.node.defaultChild as CfnSubscription).cfnOptions.condition = subscribed;
};

export type { BrokerAlarmsProps };
export { ALARM_EMAIL_PARAMETER, ALERT_KINDS, ALERT_NAMESPACE, brokerAlarms };
