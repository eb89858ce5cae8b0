import { runSimulation } from '@cloud-copilot/iam-simulate';
import { MANAGED_TAG } from '../../infra/targetRole.js';
import type { AwsCallsFile } from '../helpers/awsCallRecorder.js';
import type { IamRequest } from '../helpers/iamRequests.js';
import type { DeployEnvironment } from './cloudFormation.js';
import { actionsOf, type DeployedFunction, type PolicyDocument, resourcesOf } from './deployedFunctions.js';

/**
 * The deployed roles judged by an independent IAM evaluator (@cloud-copilot/iam-simulate, AGPL,
 * dev only): the identity policies as synthesized, the resource policies that apply (the archive
 * bucket's), the request context the call carries, and the target roles' tag as JitTargetRole sets it.
 */
interface Deployment {
  readonly env: DeployEnvironment;
  readonly functions: readonly DeployedFunction[];
  /** Every catalog role ARN: `{TargetRole}` in a recorded call stands for each of them. */
  readonly targetRoleArns: readonly string[];
  /** Resource policies by the ARN prefix they govern (`arn:aws:s3:::bucket/`). */
  readonly resourcePolicies: readonly { readonly prefix: string; readonly policy: PolicyDocument }[];
  /**
   * The trust policy every target role carries (a JitTargetRole told to trust what the broker
   * stack's outputs name): STS calls on a target role must pass it as well as the caller's role.
   */
  readonly targetRoleTrust: PolicyDocument;
}

/** What a call's placeholders (test/helpers/iamRequests.ts) are, in this deployment, for this function. */
interface ConcreteRequest {
  readonly action: string;
  readonly resource: string;
  readonly context: Record<string, string | string[]>;
}

const EXAMPLES: Record<string, string> = {
  GrantId: `g-${'01jd'.padEnd(26, '0')}`,
  Seq: '00000001',
  TokenId: 'https://token.actions.githubusercontent.com#0123abcd',
  DenialId: '00000000-0000-4000-8000-000000000000',
};

/** Placeholders filled from the function's own environment: a call the environment cannot name is a finding. */
const FROM_ENVIRONMENT: Record<string, string> = {
  GrantTable: 'TABLE_NAME',
  ScheduleGroup: 'SCHEDULE_GROUP',
  SchedulerRole: 'SCHEDULER_ROLE_ARN',
  EventBus: 'EVENT_BUS_NAME',
  AuditArchive: 'AUDIT_ARCHIVE_BUCKET',
  ChainKey: 'CHAIN_SIGNING_KEY_ARN',
};

/** The requests one recorded call stands for in this deployment, or why it names nothing there. */
const concrete = (
  deployment: Deployment,
  fn: DeployedFunction,
  call: IamRequest
): { requests: ConcreteRequest[] } | { problem: string } => {
  const values: Record<string, string> = {
    Partition: deployment.env.partition,
    Region: deployment.env.region,
    Account: deployment.env.account,
    ...EXAMPLES,
  };
  for (const [placeholder, variable] of Object.entries(FROM_ENVIRONMENT)) {
    const value = fn.environment[variable];
    if (value !== undefined) values[placeholder] = value;
  }
  const missing = new Set<string>();
  const fill = (text: string) =>
    text.replace(/\{(\w+)\}/g, (whole, name: string) => {
      if (name === 'TargetRole') return whole;
      const value = values[name];
      if (value === undefined) missing.add(name);
      return value ?? whole;
    });
  const context = Object.fromEntries(
    Object.entries(call.context ?? {}).map(([k, v]) => [k, typeof v === 'string' ? fill(v) : v.map(fill)])
  ) as Record<string, string | string[]>;
  const resource = fill(call.resource);
  if (missing.size > 0) {
    const variables = [...missing].map((m) => FROM_ENVIRONMENT[m] ?? m).join(', ');
    return {
      problem: `${fn.name}: its code calls ${call.action} on ${call.resource}, but its environment has no ${variables}`,
    };
  }
  const onRole = resource.includes('{TargetRole}');
  // A kill record's partition (`ROLEKILL#{TargetRole}`) names the role in the request context only.
  if (!onRole && !JSON.stringify(context).includes('{TargetRole}')) {
    return { requests: [{ action: call.action, resource, context }] };
  }
  const tag = `${call.action.startsWith('iam:') ? 'iam' : 'aws'}:ResourceTag/${MANAGED_TAG.key}`;
  const withRole = (arn: string) =>
    Object.fromEntries(
      Object.entries(context).map(([k, v]) => [
        k,
        typeof v === 'string' ? v.replace('{TargetRole}', arn) : v.map((x) => x.replace('{TargetRole}', arn)),
      ])
    );
  return {
    requests: deployment.targetRoleArns.map((arn) => ({
      action: call.action,
      resource: resource.replace('{TargetRole}', arn),
      context: {
        ...withRole(arn),
        ...(onRole ? { [tag]: MANAGED_TAG.value, ...boundaryOf(call.action, arn) } : {}),
      },
    })),
  };
};

/**
 * Every target role carries a permissions boundary (JitTargetRole requires one), and IAM puts its
 * ARN in `iam:PermissionsBoundary` for the inline-policy writes (Service Authorization Reference,
 * IAM: PutRolePolicy and DeleteRolePolicy list the key). The value stands for the role's ceiling.
 */
const BOUNDARY_KEYED_ACTIONS = new Set(['iam:PutRolePolicy', 'iam:DeleteRolePolicy']);
const boundaryOf = (action: string, roleArn: string): Record<string, string> =>
  BOUNDARY_KEYED_ACTIONS.has(action)
    ? { 'iam:PermissionsBoundary': `${roleArn.slice(0, roleArn.indexOf(':role/'))}:policy/ceiling` }
    : {};

/** `arn:aws:sts::<account>:assumed-role/<role>/<session>` → `arn:aws:iam::<account>:role/<role>`. */
const roleArnOf = (sessionArn: string): string =>
  sessionArn.replace(/^arn:([^:]+):sts::(\d+):assumed-role\/([^/]+)\/.*$/, 'arn:$1:iam::$2:role/$3');

/** IAM's decision for the function's role session: Allowed, ImplicitlyDenied, ExplicitlyDenied (or why none). */
const decide = async (
  deployment: Deployment,
  fn: Pick<DeployedFunction, 'principal' | 'policies'>,
  request: ConcreteRequest
): Promise<string> => {
  const trusted = request.action.startsWith('sts:') && deployment.targetRoleArns.includes(request.resource);
  const resourcePolicy = trusted
    ? deployment.targetRoleTrust
    : deployment.resourcePolicies.find((p) => request.resource.startsWith(p.prefix))?.policy;
  const result = await runSimulation(
    {
      request: {
        principal: fn.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: deployment.env.account },
        // IAM sets aws:PrincipalArn to the role's ARN for a role session (the chain key's policy reads it).
        contextVariables: { 'aws:PrincipalArn': roleArnOf(fn.principal), ...request.context },
      },
      identityPolicies: fn.policies.map((p) => ({ name: p.name, policy: p.document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy === undefined ? {} : { resourcePolicy }),
    },
    {}
  );
  return result.resultType === 'error' ? `not evaluable: ${JSON.stringify(result.errors)}` : result.overallResult;
};

const describeRequest = (request: ConcreteRequest): string =>
  `${request.action} on ${request.resource}` +
  (Object.keys(request.context).length > 0 ? ` (request context ${JSON.stringify(request.context)})` : '');

/**
 * Every recorded call of every function, evaluated against its deployed role: the findings, each
 * naming the function and what its role lacks, and the requests that were allowed.
 */
const deniedCalls = async (deployment: Deployment, recorded: AwsCallsFile) => {
  const problems: string[] = [];
  const allowed = new Map<string, ConcreteRequest[]>();
  for (const fn of deployment.functions) {
    if (fn.managedPolicyArns.length > 0) {
      problems.push(
        `${fn.name}: its role has managed policies (${fn.managedPolicyArns.join(', ')}) this tier cannot read`
      );
    }
    for (const call of recorded.calls[fn.name] ?? []) {
      const made = concrete(deployment, fn, call);
      if ('problem' in made) {
        problems.push(made.problem);
        continue;
      }
      for (const request of made.requests) {
        const decision = await decide(deployment, fn, request);
        if (decision === 'Allowed') allowed.set(fn.name, [...(allowed.get(fn.name) ?? []), request]);
        else problems.push(`${fn.name}: its role does not allow ${describeRequest(request)}: ${decision}`);
      }
    }
  }
  return { problems, allowed };
};

/** A stream of the function's own log group, as Lambda names them (`yyyy/mm/dd/[$LATEST]<id>`). */
const logStreamArn = (env: DeployEnvironment, group: string) =>
  `arn:${env.partition}:logs:${env.region}:${env.account}:log-group:${group}:log-stream:2026/11/23/[$LATEST]0123456789abcdef`;

const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'] as const;

/** Each function can create its log stream and put events in its own log group, and in no other function's. */
const logFindings = async (deployment: Deployment): Promise<string[]> => {
  const problems: string[] = [];
  for (const [i, fn] of deployment.functions.entries()) {
    const other = deployment.functions[(i + 1) % deployment.functions.length] as DeployedFunction;
    for (const action of LOG_ACTIONS) {
      const own = { action, resource: logStreamArn(deployment.env, fn.logGroupName), context: {} };
      const decision = await decide(deployment, fn, own);
      if (decision !== 'Allowed') {
        problems.push(
          `${fn.name}: cannot write its logs: its role does not allow ${describeRequest(own)}: ${decision}`
        );
      }
      if (other.logGroupName === fn.logGroupName) continue;
      const foreign = { action, resource: logStreamArn(deployment.env, other.logGroupName), context: {} };
      if ((await decide(deployment, fn, foreign)) === 'Allowed') {
        problems.push(`${fn.name}: may write into ${other.name}'s log group (${describeRequest(foreign)})`);
      }
    }
  }
  return problems;
};

/**
 * Permissions Lambda uses on the function's behalf, never its code: logs, X-Ray traces, on-failure
 * destinations (SQS) and the stream's event source mapping (failureHandling.ts checks those).
 */
const RUNTIME_ACTIONS =
  /^(logs:|xray:|sqs:(SendMessage|GetQueueAttributes|GetQueueUrl)$|dynamodb:(DescribeStream|GetRecords|GetShardIterator|ListStreams)$)/;

const wildcard = (pattern: string): RegExp =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`
  );

/**
 * The allowed action/resource pairs of each role that no recorded call uses (runtime ones aside):
 * a report for whoever narrows the roles, not a failure — the integration tier may not drive every path.
 */
const unusedPermissions = (deployment: Deployment, allowed: ReadonlyMap<string, readonly ConcreteRequest[]>) =>
  deployment.functions.flatMap((fn) =>
    fn.policies.flatMap(({ document }) =>
      document.Statement.filter((s) => s.Effect === 'Allow').flatMap((statement) =>
        actionsOf(statement)
          .filter((action) => !RUNTIME_ACTIONS.test(action))
          .flatMap((action) =>
            resourcesOf(statement)
              .filter(
                (resource) =>
                  !(allowed.get(fn.name) ?? []).some(
                    (request) => wildcard(action).test(request.action) && wildcard(resource).test(request.resource)
                  )
              )
              .map((resource) => ({ function: fn.name, action, resource }))
          )
      )
    )
  );

/** Functions whose roles allow AWS calls (runtime ones aside) but for which no call was recorded. */
const unrecordedFunctions = (deployment: Deployment, recorded: AwsCallsFile): string[] =>
  deployment.functions
    .filter((fn) =>
      fn.policies.some(({ document }) =>
        document.Statement.some((s) => s.Effect === 'Allow' && actionsOf(s).some((a) => !RUNTIME_ACTIONS.test(a)))
      )
    )
    .filter((fn) => (recorded.calls[fn.name] ?? []).length === 0)
    .map(
      (fn) =>
        `${fn.name}: its role allows AWS calls, but the integration tier recorded none of its code's: ` +
        `drive it there as asFunction('${fn.name}', …) (test/helpers/awsCallRecorder.ts)`
    );

export type { ConcreteRequest, Deployment };
export { decide, deniedCalls, logFindings, RUNTIME_ACTIONS, unrecordedFunctions, unusedPermissions };
