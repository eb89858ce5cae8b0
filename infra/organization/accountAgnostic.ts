import { BootstraplessSynthesizer, type StackProps } from 'aws-cdk-lib';

/**
 * Stack props for a template deployed by a service-managed StackSet (or by hand with
 * `aws cloudformation deploy`) into accounts that were never CDK-bootstrapped: no environment (the
 * account and Region are pseudo parameters), no `BootstrapVersion` parameter or rule, no assets
 * (the synthesizer refuses them), and no CDK metadata resource. `stackName` is the name the docs
 * give the StackSet or stack (a stage would otherwise prefix it).
 */
const accountAgnostic = (stackName: string, description: string): StackProps => ({
  stackName,
  description,
  synthesizer: new BootstraplessSynthesizer(),
  analyticsReporting: false,
});

export { accountAgnostic };
