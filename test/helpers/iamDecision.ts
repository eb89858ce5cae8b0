import { runSimulation } from '@cloud-copilot/iam-simulate';

/**
 * What AWS would decide for one call of a grant's session, judged by the independent evaluator
 * @cloud-copilot/iam-simulate (AGPL: tests and benchmarks only, never shipped). The role itself
 * allows everything, so only the broker's denies (the role's kill policy, the organization's SCP)
 * and the session policy decide. Every grant's session carries its grant id as source identity,
 * as vending sets it, and a chained session keeps it (docs/ending-access.md).
 */
const ACCOUNT = '123456789012';
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
const TASK = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] };

interface SessionCall {
  /** The grant whose source identity the session carries. */
  readonly sourceIdentity: string;
  /** The role the session is on: the grant's target role, or another one it chained into. */
  readonly roleName?: string;
  readonly issuedAt?: string;
  /** The role's kill policy document (JSON text), if any. */
  readonly killPolicy?: string;
  /** The organization's kill SCP (JSON text), if any: attached at the root beside FullAWSAccess. */
  readonly orgKillPolicy?: string;
  /** A chained session carries no session policy; a vended one carries the task's. */
  readonly chained?: boolean;
}

const decide = async (call: SessionCall): Promise<string> => {
  const roleName = call.roleName ?? 'prod-read';
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName}/someone.${call.sourceIdentity}`,
        action: 's3:GetObject',
        resource: { resource: 'arn:aws:s3:::example-bucket/report.csv', accountId: ACCOUNT },
        contextVariables: {
          'aws:SourceIdentity': call.sourceIdentity,
          'aws:TokenIssueTime': call.issuedAt ?? '2026-11-23T09:30:00Z',
        },
      },
      identityPolicies: [
        { name: 'role', policy: ALLOW_ALL },
        ...(call.killPolicy === undefined
          ? []
          : [{ name: 'jit-broker-session-kill', policy: JSON.parse(call.killPolicy) }]),
      ],
      ...(call.chained ? {} : { sessionPolicy: TASK }),
      serviceControlPolicies:
        call.orgKillPolicy === undefined
          ? []
          : [
              {
                orgIdentifier: 'r-root',
                policies: [
                  { name: 'FullAWSAccess', policy: ALLOW_ALL },
                  { name: 'jit-broker-org-kill', policy: JSON.parse(call.orgKillPolicy) },
                ],
              },
            ],
      resourceControlPolicies: [],
    },
    {}
  );
  if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
};

export type { SessionCall };
export { decide };
