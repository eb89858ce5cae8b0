/**
 * What a bundle carries besides its code: `policies` — Cedar's WASM (4.3 MB), the policy schema and
 * config/policies, for the functions that decide; `actionCatalog` — iam-data's action and condition
 * key catalog, for the functions that narrow a scope; `chainSigner` — the audit chain's KMS signer
 * (a chunk loaded on the first signature made or checked), for every bundle with a function that
 * appends events or reads chains. Every bundle carries the configuration files.
 */
type BundleExtra = 'policies' | 'actionCatalog' | 'chainSigner';

interface LambdaBundle {
  readonly name: string;
  /** Its entry module, relative to the repository root: it exports one handler per function. */
  readonly entry: string;
  /** The functions deployed from it (route names, and the scheduled functions). */
  readonly functions: readonly string[];
  readonly ships: readonly BundleExtra[];
}

/**
 * The Lambda bundles, one per group of functions with the same dependencies: a function loads only
 * what its route needs (infra/brokerFunction.ts builds them; `npm run bench:bundles` measures them).
 */
const LAMBDA_BUNDLES: readonly LambdaBundle[] = [
  { name: 'health', entry: 'functions/handlers/lambda/health.ts', functions: ['health'], ships: [] },
  {
    name: 'reads',
    entry: 'functions/handlers/lambda/reads.ts',
    functions: ['listGrants', 'getGrant', 'getGrantAudit', 'getReport', 'denyGrant', 'cancelGrant', 'reviewGrant'],
    ships: ['chainSigner'],
  },
  {
    name: 'approvals',
    entry: 'functions/handlers/lambda/approvals.ts',
    functions: ['approveGrant'],
    ships: ['policies', 'chainSigner'],
  },
  {
    name: 'requests',
    entry: 'functions/handlers/lambda/requests.ts',
    functions: ['createGrant', 'extendGrant', 'ciCredentials'],
    ships: ['policies', 'actionCatalog', 'chainSigner'],
  },
  {
    name: 'access',
    entry: 'functions/handlers/lambda/access.ts',
    functions: ['vendCredentials', 'ciRevend'],
    ships: ['chainSigner'],
  },
  {
    name: 'ending',
    entry: 'functions/handlers/lambda/ending.ts',
    functions: ['finishGrant', 'revokeGrant', 'ciDone', 'expire', 'sweep', 'recordActivity'],
    ships: ['chainSigner'],
  },
];

/** The bundle a function is deployed from. */
const bundleOf = (functionName: string): LambdaBundle => {
  const found = LAMBDA_BUNDLES.find((b) => b.functions.includes(functionName));
  if (found === undefined)
    throw new Error(`no Lambda bundle deploys ${functionName} (functions/handlers/lambda/bundles.ts)`);
  return found;
};

export type { BundleExtra, LambdaBundle };
export { bundleOf, LAMBDA_BUNDLES };
