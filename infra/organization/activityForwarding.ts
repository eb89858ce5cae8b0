import { Aws, CfnCondition, CfnParameter, CfnResource, Duration, Fn, Stack } from 'aws-cdk-lib';
import { type CfnRule, EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { accountAgnostic } from './accountAgnostic.js';
import { ALL_MANAGEMENT_EVENTS_STATE, grantActivityPattern } from './grantActivityPattern.js';

/** One forwarding rule per account and Region; its name is fixed so its role can name it (no cycle). */
const FORWARDING_RULE_NAME = 'jit-broker-grant-activity-forwarding';

/**
 * The Regions the forwarding stack must run in: the operator's, plus us-east-1, where CloudTrail
 * records the calls of global services (IAM, STS's global endpoint, Organizations). Sorted, unique.
 */
const forwardingRegions = (operatorRegions: readonly string[]): string[] => {
  for (const region of operatorRegions) {
    if (!/^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/.test(region)) throw new Error(`'${region}' is not an AWS Region name`);
  }
  return [...new Set([...operatorRegions, 'us-east-1'])].sort();
};

/**
 * Forwards the CloudTrail calls of grant sessions from one workload account and Region to the
 * broker account's default event bus, where the recorder's rule (infra/activityRecorder.ts)
 * takes them with the same pattern. Deploy it with a service-managed StackSet to the OUs of
 * the workload accounts, in every Region grants are used in plus us-east-1 (forwardingRegions).
 *
 * - The rule is on this account's default bus, in the state that includes read-only management
 *   events; data events arrive only where a trail logs them (JitDataEventTrailStack).
 * - The target is the broker's bus (parameter `BrokerEventBusArn`, output of the broker stack),
 *   cross-account and cross-Region, through a role EventBridge assumes for this rule only; the
 *   broker's bus accepts PutEvents from the organization (infra/organization/brokerOrganization.ts).
 * - Events that cannot be delivered after EventBridge's retries go to a queue in this account.
 * - In the broker's own account and Region nothing is created (the recorder's rule is already
 *   there; a rule forwarding to its own bus would loop): condition `ForwardsToAnotherBus`.
 *
 * Cost: each forwarded event is a custom event charged to this account ($1.00 per million).
 */
class JitActivityForwardingStack extends Stack {
  /** Where events go that EventBridge could not deliver to the broker's bus after its retries. */
  readonly undelivered: Queue;

  constructor(scope: Construct, id: string) {
    super(
      scope,
      id,
      accountAgnostic(
        id,
        'jit-broker: forwards CloudTrail calls of grant sessions to the broker account (StackSet template)'
      )
    );
    const busArn = new CfnParameter(this, 'BrokerEventBusArn', {
      type: 'String',
      description: "The broker account's default event bus: output BrokerEventBusArn of the JitBroker stack",
      allowedPattern: '^arn:aws[a-z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/default$',
    }).valueAsString;
    // arn:partition:events:region:account:event-bus/default
    const busRegion = Fn.select(3, Fn.split(':', busArn));
    const busAccount = Fn.select(4, Fn.split(':', busArn));
    const forwards = new CfnCondition(this, 'ForwardsToAnotherBus', {
      expression: Fn.conditionNot(
        Fn.conditionAnd(Fn.conditionEquals(busAccount, Aws.ACCOUNT_ID), Fn.conditionEquals(busRegion, Aws.REGION))
      ),
    });

    const ruleArn = this.formatArn({ service: 'events', resource: 'rule', resourceName: FORWARDING_RULE_NAME });
    const role = new Role(this, 'ForwardingRole', {
      description: 'jit-broker: EventBridge puts grant-session API calls on the broker account bus',
      assumedBy: new ServicePrincipal('events.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID, 'aws:SourceArn': ruleArn },
      }),
    });
    role.addToPolicy(new PolicyStatement({ actions: ['events:PutEvents'], resources: [busArn] }));
    const undelivered = new Queue(this, 'UndeliveredActivity', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.undelivered = undelivered;
    const rule = new Rule(this, 'GrantSessionApiCalls', {
      ruleName: FORWARDING_RULE_NAME,
      description: 'jit-broker: API calls made with grant sessions (source identity g-…) go to the broker account',
      eventPattern: grantActivityPattern(),
      targets: [
        new EventBusTarget(EventBus.fromEventBusArn(this, 'BrokerBus', busArn), {
          role,
          deadLetterQueue: undelivered,
        }),
      ],
    });
    (rule.node.defaultChild as CfnRule).state = ALL_MANAGEMENT_EVENTS_STATE;

    for (const resource of this.node.findAll()) {
      if (resource instanceof CfnResource) resource.cfnOptions.condition = forwards;
    }
  }
}

export { FORWARDING_RULE_NAME, forwardingRegions, JitActivityForwardingStack };
