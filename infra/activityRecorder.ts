import { Duration } from 'aws-cdk-lib';
import { type CfnRule, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { brokerFunction } from './brokerFunction.js';
import { ALL_MANAGEMENT_EVENTS_STATE, grantActivityPattern } from './organization/grantActivityPattern.js';

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
    // The same pattern workload accounts forward with (infra/organization/activityForwarding.ts).
    eventPattern: grantActivityPattern(),
    // Recording is idempotent per CloudTrail event id, so EventBridge's retries are safe.
    targets: [
      new LambdaFunction(recorder, {
        deadLetterQueue: props.deadLetters,
        retryAttempts: 8,
        maxEventAge: Duration.hours(6),
      }),
    ],
  });
  // Read-only management events (most of what a read-only grant does) reach only a rule in this state.
  (rule.node.defaultChild as CfnRule).state = ALL_MANAGEMENT_EVENTS_STATE;
  return { recorder, rule };
};

export { activityRecorder };
