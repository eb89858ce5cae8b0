/**
 * Fetches an issuer's documents (OIDC discovery, JWKS) and remembers failures per URL. Any caller
 * can make the broker look up a trusted issuer's keys with a token of that issuer's shape, so a
 * failed fetch is not repeated for every call: the next attempt waits 2 s, then 4, 8 … up to 60 s,
 * and calls in between fail at once. The first success clears the record (a recovered issuer is
 * used from its next attempt on). Module scope: one record per URL for a warm Lambda.
 */

const TIMEOUT_MS = 5000;
const FIRST_BACKOFF_MS = 2000;
const MAX_BACKOFF_MS = 60_000;

interface Failure {
  readonly count: number;
  readonly retryAt: number;
  readonly reason: string;
}

const failures = new Map<string, Failure>();

/** The issuer could not be reached, or answered something that is not its document. */
class IssuerFetchError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
    /** How long calls fail at once before the next attempt, in seconds. */
    readonly retryInSeconds: number,
    options?: ErrorOptions
  ) {
    super(`${url}: ${reason}; next attempt in ${retryInSeconds}s`, options);
    this.name = 'IssuerFetchError';
  }
}

const secondsUntil = (at: number): number => Math.max(1, Math.ceil((at - Date.now()) / 1000));

const recordFailure = (url: string, reason: string, cause: unknown): IssuerFetchError => {
  const count = (failures.get(url)?.count ?? 0) + 1;
  const retryAt = Date.now() + Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (count - 1));
  failures.set(url, { count, retryAt, reason });
  return new IssuerFetchError(url, reason, secondsUntil(retryAt), { cause });
};

/**
 * GETs `url` as JSON and checks it with `problemOf` (a reason when it is not the document wanted),
 * unless an earlier failure's backoff is still running. Redirects are not followed: the keys come
 * from the configured or discovered URL only.
 */
const fetchIssuerDocument = async (
  url: string,
  problemOf: (document: unknown) => string | undefined,
  init: { signal?: AbortSignal | null; headers?: Headers } = {}
): Promise<{ document: unknown; text: string }> => {
  const failed = failures.get(url);
  if (failed !== undefined && Date.now() < failed.retryAt) {
    throw new IssuerFetchError(url, failed.reason, secondsUntil(failed.retryAt));
  }
  let response: Response;
  try {
    response = await fetch(url, {
      ...init,
      method: 'GET',
      redirect: 'manual',
      signal: init.signal ?? AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw recordFailure(url, `could not be fetched (${(error as Error).message})`, error);
  }
  let text: string;
  let document: unknown;
  try {
    text = await response.text();
    document = response.status === 200 ? JSON.parse(text) : undefined;
  } catch (error) {
    throw recordFailure(url, 'did not answer JSON', error);
  }
  const problem = response.status === 200 ? problemOf(document) : `answered HTTP ${response.status}`;
  if (problem !== undefined) throw recordFailure(url, problem, undefined);
  failures.delete(url);
  return { document, text };
};

export { fetchIssuerDocument, IssuerFetchError };
