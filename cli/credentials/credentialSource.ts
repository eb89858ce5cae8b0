import type { BrokerApi, VendedCredentials } from '../api/brokerApi.js';
import { ApiError, CliError, EXIT, GrantClosedError } from '../errors.js';
import type { CachedSession, CredentialCache } from './credentialCache.js';
import { endOf, LIVE_STATES, stampHolds } from './grantLiveness.js';

/**
 * Re-vend when less than this is left. The AWS CLI refreshes credential_process credentials 15
 * minutes (advisory) to 10 minutes (mandatory) before they expire; vended sessions last at least
 * 15 minutes, so a larger margin would re-vend on every call near the end of a grant.
 */
const REFRESH_MARGIN_MS = 10 * 60 * 1000;

interface CredentialSourceDeps {
  readonly api: Pick<BrokerApi, 'vend' | 'show'>;
  readonly cache: CredentialCache;
  readonly cacheKey: string;
  readonly now: () => Date;
  /** How long the broker's word that the grant is live counts (grantLiveness.ts). */
  readonly recheckAfterMs: number;
}

/** The credentials of one grant, handed out only while the grant is known to be live. */
interface GrantCredentials {
  /** A session to hand out now; fails (exit 3 with who ended it and why) once the grant has ended. */
  current(): Promise<VendedCredentials>;
  /** Asks the broker whether the grant is still live (one GET), and remembers a yes for the bound. */
  confirmLive(): Promise<void>;
  /**
   * A session the broker handed out with the grant itself (`POST /grants?credentials=true`), kept
   * as a vend's would be: the grant was live at `askedAt`, when the request was sent.
   */
  remember(credentials: VendedCredentials, askedAt: Date): void;
}

const msLeft = (credentials: VendedCredentials, now: Date): number =>
  Date.parse(credentials.Expiration) - now.getTime();

/** Errors after which the grant will never vend again for this caller: forget what is cached. */
const isFinal = (error: unknown): boolean =>
  error instanceof ApiError && (error.exitCode === EXIT.grantClosed || error.status === 404 || error.status === 403);

/** The grant's end with who and why, or the broker's own refusal if the grant cannot be read. */
const explainEnd = async (grantId: string, api: Pick<BrokerApi, 'show'>, refusal: unknown, now: Date) => {
  if (!(refusal instanceof ApiError) || refusal.exitCode !== EXIT.grantClosed) return refusal;
  const grant = await api.show(grantId).catch(() => undefined);
  const end = grant === undefined ? undefined : endOf(grant, now);
  return end === undefined ? refusal : new GrantClosedError(end);
};

/**
 * Credentials for one grant. The cached session is handed out while it has more than
 * REFRESH_MARGIN_MS left *and* the broker called the grant live less than `recheckAfterMs` ago;
 * past that bound one GET /grants/{id} re-checks it first. Otherwise a fresh session is vended
 * (the broker checks the grant then too). So after an end nothing is handed out for longer than
 * the bound. When the broker cannot be asked, nothing is handed out past the bound either: fail
 * closed, because an unanswered check is exactly what a revoked grant looks like from here.
 */
const credentialSource = (grantId: string, deps: CredentialSourceDeps): GrantCredentials => {
  /** Once this process has seen the end, it is final: no more requests, the same answer. */
  let ended: unknown;

  const endWith = (error: unknown): unknown => {
    deps.cache.remove(deps.cacheKey);
    ended = error;
    return error;
  };

  const seenLiveRecently = (session: CachedSession, now: Date): boolean =>
    stampHolds(session.liveAt, now, deps.recheckAfterMs);

  const confirmLive = async (): Promise<void> => {
    if (ended !== undefined) throw ended;
    const asked = deps.now();
    const grant = await deps.api.show(grantId).catch((error: unknown) => {
      if (isFinal(error)) throw endWith(error);
      if (!(error instanceof CliError)) throw error;
      throw new CliError(
        error.exitCode,
        `cannot confirm that grant ${grantId} is still live, so no credentials are handed out: ${error.message}`,
        { cause: error }
      );
    });
    const end = endOf(grant, asked);
    if (end !== undefined) throw endWith(new GrantClosedError(end));
    if (!LIVE_STATES.has(grant.state)) {
      throw new CliError(EXIT.refused, `grant ${grantId} is ${grant.state}: it gives no credentials until approved`);
    }
    const cached = deps.cache.read(deps.cacheKey);
    if (cached !== undefined) deps.cache.write(deps.cacheKey, { ...cached, liveAt: asked.toISOString() });
  };

  const remember = (credentials: VendedCredentials, askedAt: Date): void =>
    deps.cache.write(deps.cacheKey, { credentials, liveAt: askedAt.toISOString() });

  const vend = async (): Promise<VendedCredentials> => {
    const asked = deps.now();
    try {
      const credentials = await deps.api.vend(grantId);
      remember(credentials, asked);
      return credentials;
    } catch (error) {
      if (!isFinal(error)) throw error;
      throw endWith(await explainEnd(grantId, deps.api, error, asked));
    }
  };

  const fetchCurrent = async (): Promise<VendedCredentials> => {
    if (ended !== undefined) throw ended;
    const cached = deps.cache.read(deps.cacheKey);
    const now = deps.now();
    if (cached === undefined || msLeft(cached.credentials, now) <= REFRESH_MARGIN_MS) return vend();
    if (!seenLiveRecently(cached, now)) await confirmLive();
    return cached.credentials;
  };

  // Concurrent callers (the exec credential server) share one answer instead of racing.
  let inFlight: Promise<VendedCredentials> | undefined;
  return {
    current: () => {
      inFlight ??= fetchCurrent().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    confirmLive,
    remember,
  };
};

export type { CredentialSourceDeps, GrantCredentials };
export { credentialSource };
