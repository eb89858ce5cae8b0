import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ROUTES } from '../functions/handlers/routes.js';
import { FUNCTION_ACCESS } from './functionAccess.js';
import type { StatefulStack } from './statefulStack.js';
import type { StatelessStack } from './statelessStack.js';

const acknowledge = (scope: IConstruct | undefined, id: string, reason: string): void => {
  if (scope === undefined) throw new Error(`nothing to acknowledge ${id} on`);
  Validations.of(scope).acknowledge({ id, reason });
};

const RUNTIME_PINNED =
  'nodejs22.x is pinned on purpose (issue #5): the code and its tests target Node 22, and a runtime ' +
  'upgrade (nodejs24.x) is a reviewed change of RUNTIME in infra/brokerFunction.ts, not an implicit one.';

const XRAY = 'xray:PutTraceSegments/PutTelemetryRecords (active tracing) support only Resource "*".';

/**
 * Every cdk-nag finding the broker accepts, each on the narrowest construct and with its reason.
 * Anything not listed here fails synth.
 */
const acknowledgeFindings = (stateful: StatefulStack, stateless: StatelessStack): void => {
  acknowledge(
    stateful.auditArchive,
    'AwsSolutions-S1',
    'The archive is written only by the stream publisher (s3:PutObject under audit/) and every object is ' +
      'under Object Lock; who reads it is what CloudTrail data events on the bucket are for, without a second ' +
      'bucket of access logs that would itself need locking.'
  );
  acknowledge(
    stateless.functions.get('publishAuditEvents')?.role?.node.tryFindChild('DefaultPolicy'),
    // The bucket ARN reaches this stack as a cross-stack export: cdk-nag names the finding by that token.
    'AwsSolutions-IAM5[Resource::JitBrokerStateful:ExportsOutputFnGetAttAuditArchive60EBC247Arn996CA6EF/audit/*]',
    'One object per audit event, keyed audit/<grant id>/<seq> at run time: the prefix is as narrow as ' +
      'the key can be known at deploy time. Only s3:PutObject, and Object Lock keeps what is written.'
  );
  for (const [name, fn] of stateless.functions) {
    if (!(FUNCTION_ACCESS[name] ?? []).includes('readArchive')) continue;
    acknowledge(
      fn.role?.node.tryFindChild('DefaultPolicy'),
      'AwsSolutions-IAM5[Resource::JitBrokerStateful:ExportsOutputFnGetAttAuditArchive60EBC247Arn996CA6EF/audit/*]',
      'The audit reads one grant at a time (audit/<grant id>/), chosen at run time: the prefix is as narrow as ' +
        'the key can be known at deploy time. Only s3:GetObjectVersion: reading the archived versions, never writing.'
    );
  }
  const routeNames = new Set(ROUTES.map((r) => r.name));
  for (const [name, fn] of stateless.functions) {
    acknowledge(fn, 'AwsSolutions-L1', RUNTIME_PINNED);
    acknowledge(fn, 'Serverless-LambdaLatestVersion', RUNTIME_PINNED);
    const policy = fn.role?.node.tryFindChild('DefaultPolicy');
    if (routeNames.has(name)) {
      acknowledge(
        fn,
        'Serverless-LambdaDLQ',
        'Invoked synchronously by API Gateway only: a failure is answered to the caller (5xx), there is no ' +
          'asynchronous event to dead-letter.'
      );
    } else if (name === 'recordActivity') {
      acknowledge(
        fn,
        'Serverless-LambdaDLQ',
        'Invoked by an EventBridge rule whose target has a dead-letter queue (FailedInvocations) and retries; ' +
          'a Lambda-level DLQ would only see the same events again.'
      );
    } else if (name === 'publishAuditEvents') {
      acknowledge(
        fn,
        'Serverless-LambdaDLQ',
        'Invoked by the DynamoDB stream event source mapping (synchronously); batches that fail every retry ' +
          'go to the mapping on-failure destination (FailedInvocations queue).'
      );
    } else {
      acknowledge(
        fn,
        'Serverless-LambdaDLQ',
        'Asynchronous failures go to an on-failure destination (SQS) instead of a DLQ: a destination keeps ' +
          'the request, the response and the error, a DLQ only the event.'
      );
    }
    if (name === 'publishAuditEvents') {
      acknowledge(
        policy,
        'AwsSolutions-IAM5[Resource::*]',
        `${XRAY} dynamodb:ListStreams (added by the stream event source) also supports only "*"; the stream ` +
          'reads themselves are on the table stream ARN.'
      );
    } else if (name === 'vendCredentials') {
      acknowledge(
        policy,
        'AwsSolutions-IAM5[Resource::*]',
        `${XRAY} The other "*" statements are Deny statements (sts:TagSession with other tag keys, ` +
          'sts:SetSourceIdentity not shaped like a grant id): they only take permissions away.'
      );
    } else {
      acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]', XRAY);
    }
  }
  const touchSchedules = Object.entries(FUNCTION_ACCESS)
    .filter(([, capabilities]) => capabilities.includes('scheduleExpiry') || capabilities.includes('cancelExpiry'))
    .map(([name]) => name);
  for (const name of touchSchedules) {
    const policy = stateless.functions.get(name)?.role?.node.tryFindChild('DefaultPolicy');
    acknowledge(
      policy,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${stateless.scheduleGroupName}/jit-expire-*]`,
      'One schedule per grant, named jit-expire-<grant id> at run time: the schedule group and the name ' +
        'prefix are as narrow as the ARN can be known at deploy time.'
    );
  }
  for (const id of ['ExpiryDeadLetters', 'FailedInvocations']) {
    const queue = stateless.node.findChild(id);
    const why =
      id === 'ExpiryDeadLetters'
        ? 'This queue is the dead-letter queue of the expiry schedules (Scheduler DeadLetterConfig, set per ' +
          'schedule at run time) and the expiry function on-failure destination; nothing consumes it automatically.'
        : 'This queue is the dead-letter queue/on-failure destination of the sweeper rule, the sweeper, the ' +
          'stream event source and alarm e-mails; nothing consumes it automatically.';
    acknowledge(queue, 'AwsSolutions-SQS3', `${why} A DLQ of a DLQ would only move the same messages.`);
    acknowledge(
      queue,
      'Serverless-SQSRedrivePolicy',
      `${why} Messages are inspected by an operator (alarmed on depth).`
    );
  }
  const healthRoute = stateless.api.node.tryFindChild('GET--health');
  acknowledge(
    healthRoute,
    'AwsSolutions-APIG4',
    'GET /health is the only unauthenticated route on purpose (ROUTES auth: none): load balancers and the ' +
      'CLI probe it; it answers only {status, catalogVersion}.'
  );
  for (const route of ROUTES.filter((r) => r.auth === 'oidc')) {
    acknowledge(
      stateless.api.node.tryFindChild(`${route.method}--${route.path.replace(/^\//, '').replaceAll('/', '--')}`),
      'AwsSolutions-APIG4',
      `${route.method} ${route.path} is authenticated by the CI job's OIDC token (ROUTES auth: oidc), which the ` +
        'function verifies itself: issuer allowlist, broker audience, signature, exp/nbf/iat and a single-use jti (docs/ci.md).'
    );
  }
};

export { acknowledge, acknowledgeFindings };
