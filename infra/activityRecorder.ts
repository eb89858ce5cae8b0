import { Duration } from 'aws-cdk-lib';
import { type CfnRule, Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { GRANT_ID_PREFIX } from '../functions/domain/activity.js';
import { brokerFunction } from './brokerFunction.js';

/**
 * The live activity recorder: an EventBridge rule on the account's default bus for CloudTrail API
 * calls made by an assumed-role session whose source identity starts with the grant id prefix
 * (EventBridge prefix matching), targeting the recordActivity function. Calls in workload accounts
 * reach it only when those accounts forward the same events to this bus (docs/audit.md).
 */
const activityRecorder = (
  scope: Construct,
  props: { entry: string; configDir: string; environment: Record<string, string>; deadLetters: IQueue }
) => {
  const recorder = brokerFunction(scope, 'recordActivity', {
    entry: props.entry,
    handler: 'recordActivity',
    description: 'jit-broker: records CloudTrail API calls made with grant sessions',
    configDir: props.configDir,
    environment: props.environment,
    // Recording takes milliseconds; an anomaly rule's revocation writes the kill policy (IAM, perhaps
    // through a workload account's session killer).
    timeout: Duration.seconds(30),
    memorySize: 256,
    auditRelevant: true,
  });
  const rule = new Rule(scope, 'GrantSessionApiCalls', {
    description: 'jit-broker: API calls made with grant sessions (source identity g-…) go to the recorder',
    eventPattern: {
      // AWS reserves `aws.` sources for its own services' events: anyone allowed events:PutEvents on
      // the bus could otherwise forge "API calls" — and anomaly rules act on them.
      source: Match.prefix('aws.'),
      detailType: ['AWS API Call via CloudTrail'],
      detail: {
        userIdentity: {
          type: ['AssumedRole'],
          sessionContext: { sourceIdentity: [{ prefix: GRANT_ID_PREFIX }] },
        },
      },
    },
    // Recording is idempotent per CloudTrail event id, so EventBridge's retries are safe.
    targets: [
      new LambdaFunction(recorder, {
        deadLetterQueue: props.deadLetters,
        retryAttempts: 8,
        maxEventAge: Duration.hours(6),
      }),
    ],
  });
  // A rule that is merely ENABLED gets no read-only management events (Describe*, Get*, List*),
  // and most of what a read-only grant does is exactly that: width would read as unused. This
  // state makes EventBridge deliver them to this rule too (the narrow pattern keeps the volume to
  // grant sessions).
  (rule.node.defaultChild as CfnRule).state = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
  return { recorder, rule };
};

export { activityRecorder };
