import { synthBroker } from '../infra/synthBroker.js';
import { type DeployEnvironment, DeployedStacks, type Template } from './cloudFormation.js';
import { deployedFunctions, type PolicyDocument } from './deployedFunctions.js';
import type { Deployment } from './permissions.js';

/** The catalog's account: kills of its roles go through the broker's own IAM permissions. */
const ENVIRONMENT: DeployEnvironment = { partition: 'aws', region: 'us-east-1', account: '123456789012' };

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
  };
  return { synth, templates, stacks, deployment };
};

export { deployedBroker, ENVIRONMENT };
