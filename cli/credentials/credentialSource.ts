import type { BrokerApi, VendedCredentials } from '../api/brokerApi.js';
import { ApiError, BrokerUnreachableError, EXIT } from '../errors.js';
import type { CredentialCache } from './credentialCache.js';

/**
 * Re-vend when less than this is left. The AWS CLI refreshes credential_process credentials 15
 * minutes (advisory) to 10 minutes (mandatory) before they expire; vended sessions last at least
 * 15 minutes, so a larger margin would re-vend on every call near the end of a grant.
 */
const REFRESH_MARGIN_MS = 10 * 60 * 1000;
/** When the broker is unreachable, cached credentials still this valid are better than failing. */
const OFFLINE_MINIMUM_MS = 60 * 1000;

interface CredentialSourceDeps {
  readonly api: Pick<BrokerApi, 'vend'>;
  readonly cache: CredentialCache;
  readonly cacheKey: string;
  readonly now: () => Date;
  /** For notes on stderr; never given secrets. */
  readonly warn: (message: string) => void;
}

const msLeft = (credentials: VendedCredentials, now: Date): number =>
  Date.parse(credentials.Expiration) - now.getTime();

/** Errors after which the grant will never vend again for this caller: forget what is cached. */
const isFinal = (error: unknown): boolean =>
  error instanceof ApiError && (error.exitCode === EXIT.grantClosed || error.status === 404 || error.status === 403);

/**
 * Credentials for one grant: the cached session while it has more than REFRESH_MARGIN_MS left,
 * otherwise a fresh one from the broker (which re-checks the grant each time). That is what
 * lets a multi-hour grant run on one-hour STS sessions without the user noticing.
 */
const credentialSource = (grantId: string, deps: CredentialSourceDeps) => {
  let inFlight: Promise<VendedCredentials> | undefined;

  const fetchFresh = async (): Promise<VendedCredentials> => {
    const cached = deps.cache.read(deps.cacheKey);
    if (cached !== undefined && msLeft(cached, deps.now()) > REFRESH_MARGIN_MS) return cached;
    try {
      const vended = await deps.api.vend(grantId);
      deps.cache.write(deps.cacheKey, vended);
      return vended;
    } catch (error) {
      if (isFinal(error)) deps.cache.remove(deps.cacheKey);
      if (
        error instanceof BrokerUnreachableError &&
        cached !== undefined &&
        msLeft(cached, deps.now()) > OFFLINE_MINIMUM_MS
      ) {
        deps.warn(`jit: ${error.message}; using cached credentials valid until ${cached.Expiration}`);
        return cached;
      }
      throw error;
    }
  };

  // Concurrent callers (the exec credential server) share one vend instead of racing.
  return (): Promise<VendedCredentials> => {
    inFlight ??= fetchFresh().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
};

export type { CredentialSourceDeps };
export { credentialSource };
