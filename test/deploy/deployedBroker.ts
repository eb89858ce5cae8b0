import { App, Stack } from 'aws-cdk-lib';
import { Template as CdkTemplate } from 'aws-cdk-lib/assertions';
import { ManagedPolicy } from 'aws-cdk-lib/aws-iam';
import { JitTargetRole } from '../../infra/targetRole.js';
import { synthBroker } from '../infra/synthBroker.js';
import { type DeployEnvironment, DeployedStacks, type Template } from './cloudFormation.js';
import { deployedFunctions, type PolicyDocument } from './deployedFunctions.js';
import type { Deployment } from './permissions.js';

/** The catalog's account: kills of its roles go through the broker's own IAM permissions. */
const ENVIRONMENT: DeployEnvironment = { partition: 'aws', region: 'us-east-1', account: '123456789012' };

/** The outputs that name the broker roles a target role must trust (docs/deploy.md). */
const TRUST_OUTPUTS = ['VendRoleArn', 'CiVendRoleArns'];

/** A JitTargetRole's trust policy, trusting `brokerRoleArns`. */
const trustOf = (brokerRoleArns: string[]): PolicyDocument => {
  const stack = new Stack(new App(), 'Workload', { env: { account: ENVIRONMENT.account, region: ENVIRONMENT.region } });
  const ceiling = ManagedPolicy.fromAwsManagedPolicyName('ReadOnlyAccess');
  new JitTargetRole(stack, 'Target', { brokerRoleArns, managedPolicies: [ceiling], permissionsBoundary: ceiling });
  const [role] = Object.values(CdkTemplate.fromStack(stack).findResources('AWS::IAM::Role'));
  return role?.Properties.AssumeRolePolicyDocument as PolicyDocument;
};

/**
 * The trust policy of a target role as a platform team deploys it: a JitTargetRole whose
 * `brokerRoleArns` are the ARNs the broker stack's outputs print (each comma-separated).
 */
const targetRoleTrust = (stacks: DeployedStacks, broker: Template): PolicyDocument => {
  const outputs = (broker as { Outputs?: Record<string, { Value: unknown }> }).Outputs ?? {};
  return trustOf(TRUST_OUTPUTS.flatMap((name) => stacks.resolveString('JitBroker', outputs[name]?.Value).split(',')));
};

/**
 * The broker app as `cdk synth` builds it (both stacks, cdk-nag on, every bundle built), read as
 * CloudFormation would deploy it to ENVIRONMENT.
 */
const deployedBroker = async () => {
  const synth = await synthBroker();
  const templates = Object.fromEntries(synth.assembly.stacks.map((s) => [s.stackName, s.template as Template]));
  const stacks = new DeployedStacks(templates, ENVIRONMENT);
  const resourcePolicies = Object.keys(templates).flatMap((stack) => [
    ...stacks.resourcesOf(stack, 'AWS::S3::BucketPolicy').map(([, policy]) => ({
      prefix: `arn:${ENVIRONMENT.partition}:s3:::${stacks.resolveString(stack, policy.Properties?.Bucket)}/`,
      policy: stacks.resolve(stack, policy.Properties?.PolicyDocument) as PolicyDocument,
    })),
    // The audit chain key's own policy: Sign only as the broker stack's roles.
    ...stacks.resourcesOf(stack, 'AWS::KMS::Key').map(([logicalId, key]) => ({
      prefix: stacks.resolveString(stack, { 'Fn::GetAtt': [logicalId, 'Arn'] }),
      policy: stacks.resolve(stack, key.Properties?.KeyPolicy) as PolicyDocument,
    })),
  ]);
  const deployment: Deployment = {
    env: ENVIRONMENT,
    functions: deployedFunctions(stacks, synth.outdir),
    targetRoleArns: [...new Set([...synth.config.catalog.roles.values()].map((r) => r.roleArn))].sort(),
    resourcePolicies,
    targetRoleTrust: targetRoleTrust(stacks, templates.JitBroker as Template),
  };
  return { synth, templates, stacks, deployment };
};

export { deployedBroker, ENVIRONMENT, trustOf };
