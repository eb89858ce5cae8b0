import { type BrokerApi, brokerApi } from './api/brokerApi.js';
import { type ApiCall, createBrokerClient } from './api/brokerClient.js';
import type { HttpFetch } from './api/httpTransport.js';
import type { AwsCredentials } from './api/signRequest.js';
import { cacheDirectory } from './cacheDirectory.js';
import type { OptionValues } from './commandLine.js';
import { type CliConfig, resolveConfig } from './config.js';
import type { FederationEndpoint } from './console/federation.js';
import { cacheKey, fileCredentialCache, fileRoleChoices, roleChoiceKey } from './credentials/credentialCache.js';
import { credentialSource, type GrantCredentials } from './credentials/credentialSource.js';
import { recheckBoundMs } from './credentials/grantLiveness.js';
import { rememberedGrantForRole } from './credentials/roleGrant.js';
import { UsageError } from './errors.js';
import type { Io } from './output.js';

/**
 * Set while jit asks the AWS credential chain for signing credentials. If the chain runs a
 * credential_process that is jit again (AWS_PROFILE=jit-…), the inner jit sees it and stops
 * instead of recursing forever.
 */
const SIGNING_GUARD = 'JIT_SIGNING_IN_PROGRESS';

/** Everything a command needs from the outside world; tests build one with fakes. */
interface CliContext {
  readonly io: Io;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  /** Aborts on Ctrl-C; only commands that wait listen to it. */
  readonly interrupted: () => AbortSignal;
  readonly fetch: HttpFetch;
  readonly federation: FederationEndpoint;
  /** Absolute path of cli/bin/jit.mjs, for credential_process lines. */
  readonly launcherPath: string;
  /** The AWS credential chain for signing (fromNodeProviderChain in real use). */
  readonly signingCredentials: (profile: string | undefined) => () => Promise<AwsCredentials>;
}

/** A configured connection to one broker as one caller. */
interface Connection {
  readonly config: CliConfig;
  readonly api: BrokerApi;
  /** The raw signed call under `api`, for `jit ui`'s forwarding of the console's requests. */
  readonly call: ApiCall;
  /** The AWS profile that signs (aws mode), for credential_process lines. */
  readonly awsProfile?: string;
  /** How long the broker's word that a grant is live counts here (JIT_RECHECK_SECONDS). */
  readonly recheckAfterMs: number;
  credentials(grantId: string): GrantCredentials;
  /** Drops cached credentials of a grant this caller just ended. */
  forget(grantId: string): void;
  /**
   * The caller's live grant for a role, as a role's profile uses it (remembered for the re-check
   * bound); `ended`: the grant just found ended, so choose again now.
   */
  grantForRole(roleId: string, ended?: string): Promise<string>;
}

const connect = (context: CliContext, values: OptionValues): Connection => {
  const config = resolveConfig({
    flags: {
      api: values.api as string | undefined,
      region: values['api-region'] as string | undefined,
      as: values.as as string | undefined,
    },
    env: context.env,
  });
  const awsProfile = (values['aws-profile'] as string | undefined) ?? (context.env.AWS_PROFILE || undefined);
  const chain = context.signingCredentials(awsProfile);
  const signWith = async (): Promise<AwsCredentials> => {
    if (context.env[SIGNING_GUARD]) {
      throw new UsageError(
        'jit is being run to produce the very AWS credentials it would sign with (is AWS_PROFILE a jit- profile?): pass --aws-profile <your own login profile>'
      );
    }
    process.env[SIGNING_GUARD] = '1';
    try {
      return await chain();
    } catch (error) {
      throw new UsageError(`no AWS credentials to sign requests to the broker: ${(error as Error).message}`);
    } finally {
      delete process.env[SIGNING_GUARD];
    }
  };
  const call = createBrokerClient(config, { fetch: context.fetch, credentials: signWith });
  const api = brokerApi(call);
  const recheckAfterMs = recheckBoundMs(context.env);
  const principal = config.mode === 'sandbox' ? `user:${config.user}` : `profile:${awsProfile ?? 'default'}`;
  const directory = cacheDirectory(context.env);
  const cache = fileCredentialCache(directory);
  const keyOf = (grantId: string) => cacheKey(config.apiUrl, grantId, principal);
  const roleChoices = fileRoleChoices(directory);
  const choiceKeyOf = (roleId: string) => roleChoiceKey(config.apiUrl, roleId, principal);
  return {
    config,
    api,
    call,
    ...(awsProfile === undefined ? {} : { awsProfile }),
    recheckAfterMs,
    credentials: (grantId) =>
      credentialSource(grantId, { api, cache, cacheKey: keyOf(grantId), now: context.now, recheckAfterMs }),
    forget: (grantId) => cache.remove(keyOf(grantId)),
    grantForRole: (roleId, ended) =>
      rememberedGrantForRole(
        { api, choices: roleChoices, choiceKey: choiceKeyOf(roleId), now: context.now, recheckAfterMs },
        roleId,
        ended
      ),
  };
};

/**
 * The standard AWS credential chain (environment, profiles, IAM Identity Center, …), loaded on the
 * first signature only: commands answered from the cache never load the AWS SDK. The chain
 * memoizes what it resolved, so a waiting command does not resolve it again on every poll.
 */
const defaultSigningCredentials = (profile: string | undefined) => {
  let chain: (() => Promise<AwsCredentials>) | undefined;
  return async (): Promise<AwsCredentials> => {
    if (chain === undefined) {
      const { fromNodeProviderChain } = await import('./api/awsSigning.js');
      chain = fromNodeProviderChain(profile === undefined ? {} : { profile });
    }
    return chain();
  };
};

export type { CliContext, Connection };
export { connect, defaultSigningCredentials, SIGNING_GUARD };
