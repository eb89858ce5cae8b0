import { join } from 'node:path';
import type { DeployedStacks } from './cloudFormation.js';

interface PolicyStatement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
  readonly Sid?: string;
}

interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: readonly PolicyStatement[];
}

/** One Lambda function as the template deploys it, every value resolved. */
interface DeployedFunction {
  /** The handler's export (`index.<name>`), which is also the function's name in the broker. */
  readonly name: string;
  readonly logicalId: string;
  readonly handler: string;
  /** The built bundle CloudFormation uploads (the asset directory in cdk.out). */
  readonly assetDir: string;
  readonly roleArn: string;
  /** The role session Lambda runs the function as. */
  readonly principal: string;
  readonly policies: readonly { readonly name: string; readonly document: PolicyDocument }[];
  readonly managedPolicyArns: readonly string[];
  readonly environment: Readonly<Record<string, string>>;
  /** Where Lambda sends the function's logs (its LoggingConfig, else Lambda's default group). */
  readonly logGroupName: string;
}

const STACK = 'JitBroker';

const actionsOf = (statement: PolicyStatement): readonly string[] =>
  typeof statement.Action === 'string' ? [statement.Action] : statement.Action;

const resourcesOf = (statement: PolicyStatement): readonly string[] =>
  typeof statement.Resource === 'string' ? [statement.Resource] : statement.Resource;

const refTo = (value: unknown): string | undefined => (value as { Ref?: string } | undefined)?.Ref;

/** A role's identity policies: the IAM::Policy resources attached to it and its own inline ones. */
const policiesOfRole = (stacks: DeployedStacks, roleId: string): DeployedFunction['policies'] => {
  const role = stacks.resource(STACK, roleId);
  const attached = stacks
    .resourcesOf(STACK, 'AWS::IAM::Policy')
    .filter(([, policy]) => ((policy.Properties?.Roles ?? []) as unknown[]).some((r) => refTo(r) === roleId))
    .map(([id, policy]) => ({ name: id, document: stacks.resolve(STACK, policy.Properties?.PolicyDocument) }));
  const inline = ((role.Properties?.Policies ?? []) as { PolicyName: string; PolicyDocument: unknown }[]).map((p) => ({
    name: p.PolicyName,
    document: stacks.resolve(STACK, p.PolicyDocument),
  }));
  return [...attached, ...inline] as DeployedFunction['policies'];
};

/** The session a role's user runs as (Lambda names it after the function). */
const roleSession = (stacks: DeployedStacks, roleId: string, session: string): string =>
  `arn:${stacks.env.partition}:sts::${stacks.env.account}:assumed-role/${stacks.physicalName(STACK, roleId)}/${session}`;

/** Every function of the broker's stack, read from its template (and the assembly directory `outdir`). */
const deployedFunctions = (stacks: DeployedStacks, outdir: string): DeployedFunction[] =>
  stacks.resourcesOf(STACK, 'AWS::Lambda::Function').map(([logicalId, fn]) => {
    const properties = fn.Properties ?? {};
    const handler = String(properties.Handler);
    const roleId = String((properties.Role as { 'Fn::GetAtt'?: unknown[] })['Fn::GetAtt']?.[0]);
    const role = stacks.resource(STACK, roleId);
    const variables = (properties.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const environment = Object.fromEntries(
      Object.entries(variables).map(([k, v]) => [k, stacks.resolveString(STACK, v)])
    );
    const name = handler.slice(handler.indexOf('.') + 1);
    const functionName = stacks.physicalName(STACK, logicalId);
    const logGroup = (properties.LoggingConfig as { LogGroup?: unknown } | undefined)?.LogGroup;
    const roleArn = stacks.resolveString(STACK, { 'Fn::GetAtt': [roleId, 'Arn'] });
    return {
      name,
      logicalId,
      handler,
      assetDir: join(outdir, String(fn.Metadata?.['aws:asset:path'])),
      roleArn,
      principal: roleSession(stacks, roleId, functionName),
      policies: policiesOfRole(stacks, roleId),
      managedPolicyArns: ((role.Properties?.ManagedPolicyArns ?? []) as unknown[]).map((arn) =>
        stacks.resolveString(STACK, arn)
      ),
      environment,
      logGroupName: logGroup === undefined ? `/aws/lambda/${functionName}` : stacks.resolveString(STACK, logGroup),
    };
  });

export type { DeployedFunction, PolicyDocument, PolicyStatement };
export { actionsOf, deployedFunctions, policiesOfRole, refTo, resourcesOf, roleSession, STACK };
