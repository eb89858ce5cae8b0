/**
 * All the CLI takes from the AWS SDK: the SigV4 signer and the standard credential chain. Loaded
 * only when a request to a deployed broker must be signed; the build puts it in a file of its own
 * (aws-signing.cjs beside jit.cjs), so a run that signs nothing never even parses it.
 */
export { fromNodeProviderChain } from '@aws-sdk/credential-providers';
export { signRequest } from './signRequest.js';
