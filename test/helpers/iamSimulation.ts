import { runSimulation } from '@cloud-copilot/iam-simulate';

/**
 * One request judged by the independent IAM evaluator (@cloud-copilot/iam-simulate, AGPL: a
 * devDependency, only ever used by tests): the role's identity policy, and a session policy when
 * there is one. The evaluator fills in no context keys, so the request names every one it needs.
 */
const simulatedDecision = async (
  request: {
    principal: string;
    accountId: string;
    action: string;
    resource: string;
    context: Record<string, string>;
  },
  policies: { identity: unknown; session?: unknown }
): Promise<string> => {
  const result = await runSimulation(
    {
      request: {
        principal: request.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: request.accountId },
        contextVariables: request.context,
      },
      identityPolicies: [{ name: 'role', policy: policies.identity }],
      ...(policies.session === undefined ? {} : { sessionPolicy: policies.session }),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {}
  );
  if (result.resultType === 'error') throw new Error(`simulation failed: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
};

export { simulatedDecision };
