/**
 * The heavier modules a bundle may bring (runtime.ts, BundleModules), each behind `import()`: an
 * entry that names one makes it a chunk of its bundle, loaded on first use.
 */

/** Cedar: the policy compiler and the engine (the WASM compiles when the chunk loads). */
const policies = async () => {
  const [{ compilePolicies }, { cedarPolicyEngine }] = await Promise.all([
    import('../../policy/policySet.js'),
    import('../../adapters/cedarPolicyEngine.js'),
  ]);
  return { compilePolicies, cedarPolicyEngine };
};

/** The IAM action catalog (iam-data: its JSON files ship beside the bundle). */
const actionCatalog = () => import('../../adapters/iamDataActionCatalog.js');

/** CI jobs' OIDC tokens (jose). */
const workloadTokens = () => import('../../adapters/oidc/joseTokenVerifier.js');

/**
 * The audit chain's KMS signer and its client: every bundle whose functions append events or read
 * chains brings it (all but health), loaded on the first signature made or checked.
 */
const chainSigning = async () => {
  const [{ KMSClient }, { KmsChainSigner }] = await Promise.all([
    import('@aws-sdk/client-kms'),
    import('../../adapters/aws/kmsChainSigner.js'),
  ]);
  return {
    kmsChainSigner: (options: { keyArn: string; trustedKeyArns: readonly string[] }) =>
      new KmsChainSigner(new KMSClient({}), options),
  };
};

export { actionCatalog, chainSigning, policies, workloadTokens };
