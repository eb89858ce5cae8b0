import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iamDataActionCatalog } from '../../functions/adapters/iamDataActionCatalog.js';
import { narrowScope } from '../../functions/app/narrowScope.js';
import type { CatalogRole } from '../../functions/domain/catalog.js';
import { ValidationError } from '../../functions/domain/errors.js';
import type { TaskScope } from '../../functions/domain/grant.js';
import { simulatedDecision } from '../helpers/iamSimulation.js';
import { seeded } from './seeded.js';

/**
 * The scope narrower and the session-policy renderer, judged by an independent IAM evaluator
 * (@cloud-copilot/iam-simulate, AGPL, devDependency only) on generated cases: whatever a rendered
 * session policy allows, both the request (as the requester wrote it) and the role's ceiling allow.
 * Requests, ceilings and probes come from a small realistic alphabet, so they meet often.
 */
const ACCOUNT = '123456789012';
const PRINCIPAL = `arn:aws:sts::${ACCOUNT}:assumed-role/target/alice.g-01jfuzz`;
const BUCKET = 'arn:aws:s3:::example-bucket';
const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table`;

const ACTION_PATTERNS = [
  's3:GetObject',
  's3:PutObject',
  's3:ListBucket',
  's3:Get*',
  's3:*Object',
  's3:*',
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:*',
  'iam:CreateAccessKey',
  'sts:AssumeRole',
];
const RESOURCE_PATTERNS = [
  '*',
  BUCKET,
  `${BUCKET}/*`,
  `${BUCKET}/reports/*`,
  'arn:aws:s3:::example-*',
  'arn:aws:s3:::other-bucket/*',
  `${BUCKET}/home/\${aws:username}/*`,
  `${TABLE}/orders`,
  `${TABLE}/*`,
  `arn:aws:iam::${ACCOUNT}:user/*`,
  `arn:aws:iam::${ACCOUNT}:role/deploy`,
];
const CONDITION_CHOICES: Record<string, Record<string, string | string[]>>[] = [
  { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } },
  { StringNotEquals: { 'aws:RequestedRegion': 'eu-west-1' } },
  { IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } },
  { NotIpAddress: { 'aws:SourceIp': ['198.51.100.0/24', '2001:db8::/32'] } },
  { Bool: { 'aws:SecureTransport': 'true' } },
  { StringLike: { 's3:prefix': 'reports/*' } },
  { 'ForAnyValue:StringEquals': { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } },
];

/** Concrete requests a session could make: each action with resources of its own service. */
const PROBES: readonly [string, readonly string[]][] = [
  [
    's3:GetObject',
    [`${BUCKET}/reports/q3.csv`, `${BUCKET}/tmp/x`, `${BUCKET}/home/alice/a`, 'arn:aws:s3:::other-bucket/a'],
  ],
  ['s3:PutObject', [`${BUCKET}/reports/q3.csv`, 'arn:aws:s3:::example-logs/x']],
  ['s3:DeleteObject', [`${BUCKET}/reports/q3.csv`]],
  ['s3:ListBucket', [BUCKET, 'arn:aws:s3:::other-bucket']],
  ['dynamodb:GetItem', [`${TABLE}/orders`, `${TABLE}/users`]],
  ['dynamodb:DeleteTable', [`${TABLE}/orders`]],
  ['iam:CreateAccessKey', [`arn:aws:iam::${ACCOUNT}:user/mallory`]],
  ['sts:AssumeRole', [`arn:aws:iam::${ACCOUNT}:role/deploy`]],
];
const probe = fc.constantFrom(...PROBES).chain(([action, resources]) =>
  fc.record({
    action: fc.constant(action),
    resource: fc.constantFrom(...resources),
    context: fc.record({
      'aws:RequestedRegion': fc.constantFrom('us-east-1', 'eu-west-1'),
      'aws:SourceIp': fc.constantFrom('203.0.113.9', '198.51.100.1'),
      'aws:SecureTransport': fc.constantFrom('true', 'false'),
      's3:prefix': fc.constantFrom('reports/', 'tmp/'),
      'aws:username': fc.constant('alice'),
      'aws:SourceIdentity': fc.constant('g-01jfuzz'),
    }),
  })
);

const someOf = (values: readonly string[]) =>
  fc.uniqueArray(fc.constantFrom(...values), { minLength: 1, maxLength: 4 });
const scope: fc.Arbitrary<TaskScope> = fc.record(
  {
    actions: someOf(ACTION_PATTERNS),
    resources: someOf(RESOURCE_PATTERNS),
    conditions: fc
      .subarray(CONDITION_CHOICES, { minLength: 1, maxLength: 3 })
      .map((chosen) => Object.assign({}, ...chosen)),
  },
  { requiredKeys: ['actions', 'resources'] }
);
/** Ceilings the task mostly fits (its own patterns and more) and some it does not. */
const ceilingFor = (task: TaskScope) =>
  fc.oneof(
    fc.record({ actions: someOf(ACTION_PATTERNS), resources: someOf(RESOURCE_PATTERNS) }),
    fc.record({
      actions: fc.subarray(ACTION_PATTERNS).map((extra) => [...new Set([...task.actions, ...extra])]),
      resources: fc.subarray(RESOURCE_PATTERNS).map((extra) => [...new Set([...task.resources, ...extra])]),
    }),
    fc.record({ actions: fc.constant(['*']), resources: fc.constant(['*']) })
  );
const taskAndCeiling = scope.chain((task) => ceilingFor(task).map((limits) => ({ task, limits })));

const allow = (statement: Record<string, unknown>) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', ...statement }],
});
const EVERYTHING = allow({ Action: '*', Resource: '*' });

/** The evaluator's decision for one probe, given the role's own policy and an optional session policy. */
const decide = (
  request: { action: string; resource: string; context: Record<string, string> },
  identity: unknown,
  session?: unknown
): Promise<string> =>
  simulatedDecision(
    { principal: PRINCIPAL, accountId: ACCOUNT, ...request },
    { identity, ...(session === undefined ? {} : { session }) }
  );

const catalog = iamDataActionCatalog();
const role = (limits: { actions: readonly string[]; resources: readonly string[] }): CatalogRole => ({
  id: 'target',
  description: 'generated',
  roleArn: `arn:aws:iam::${ACCOUNT}:role/target`,
  accountId: ACCOUNT,
  maxDurationSeconds: 3600,
  scopeCeiling: limits,
});

describe('the scope narrower and the session policy renderer (property, independent evaluator)', () => {
  it('never render a policy that allows what the request or the ceiling does not', async () => {
    let rendered = 0;
    let allowedProbes = 0;
    await fc.assert(
      fc.asyncProperty(
        taskAndCeiling,
        fc.array(probe, { minLength: 4, maxLength: 4 }),
        async ({ task, limits }, probes) => {
          let policy: string;
          try {
            policy = (await narrowScope(catalog, role(limits), task)).sessionPolicy;
          } catch (error) {
            // Refusing is always safe; only a refusal of the expected kind is.
            expect(error).toBeInstanceOf(ValidationError);
            return;
          }
          rendered += 1;
          const session = JSON.parse(policy);
          const asRequested = allow({
            Action: task.actions,
            Resource: task.resources,
            ...(task.conditions === undefined ? {} : { Condition: task.conditions }),
          });
          const ceilingPolicy = allow({ Action: limits.actions, Resource: limits.resources });
          for (const request of probes) {
            if ((await decide(request, EVERYTHING, session)) !== 'Allowed') continue;
            allowedProbes += 1;
            expect(await decide(request, asRequested), `the request does not allow ${JSON.stringify(request)}`).toBe(
              'Allowed'
            );
            expect(await decide(request, ceilingPolicy), `the ceiling does not allow ${JSON.stringify(request)}`).toBe(
              'Allowed'
            );
          }
        }
      ),
      seeded(200)
    );
    // The property must not hold only because nothing was rendered or allowed.
    console.log(`session policy property: ${rendered} rendered, ${allowedProbes} probes allowed`);
    expect(rendered).toBeGreaterThan(50);
    expect(allowedProbes).toBeGreaterThan(30);
  });
});
