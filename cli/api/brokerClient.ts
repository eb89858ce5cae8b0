import type { CliConfig } from '../config.js';
import { ApiError, BrokerUnreachableError } from '../errors.js';
import { SANDBOX_TOKEN_ENV, SANDBOX_TOKEN_HEADER } from '../sandboxToken.js';
import type { HttpFetch, HttpResponse } from './httpTransport.js';
import type { AwsCredentials } from './signRequest.js';

/** The header the loopback sandbox reads as "who you are"; a deployed API never looks at it. */
const SANDBOX_USER_HEADER = 'x-jit-user';
const REQUEST_TIMEOUT_MS = 30_000;

interface CallOptions {
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  /** A CI job's OIDC token: sent as `Authorization: Bearer`, instead of a signature or the sandbox user. */
  readonly bearer?: string;
}

type ApiCall = <T>(method: 'GET' | 'POST', path: string, options?: CallOptions) => Promise<T>;

interface ClientDeps {
  readonly fetch: HttpFetch;
  /** The standard AWS chain in real use; only called in aws mode. */
  readonly credentials: () => Promise<AwsCredentials>;
}

const buildUrl = (base: URL, path: string, query: Record<string, string> = {}): URL => {
  // Keep any base path (a stage such as /prod) in front of the API path.
  const url = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url;
};

const unreachable = ({ apiUrl, mode }: CliConfig, error: unknown): BrokerUnreachableError => {
  // The socket's reason (ECONNREFUSED, ENOTFOUND, …): on the error itself (node:http) or, from
  // fetch's "fetch failed", in its cause.
  const failure = error as { code?: string; cause?: { code?: string; message?: string } };
  const why =
    (error as Error).name === 'TimeoutError'
      ? `no answer within ${REQUEST_TIMEOUT_MS / 1000}s`
      : (failure.code ?? failure.cause?.code ?? failure.cause?.message ?? (error as Error).message);
  const advice =
    mode === 'sandbox'
      ? 'is the sandbox running? Start it with `npm start`, or check --api / JIT_API_URL'
      : 'check --api / JIT_API_URL and your network';
  return new BrokerUnreachableError(`cannot reach the broker at ${apiUrl.origin} (${why}): ${advice}`, {
    cause: error,
  });
};

/** How the request was authenticated: a 401 means something different for each. */
type Authentication = 'sigv4' | 'sandbox-user' | 'ci-token';

/** What to check after a 401, for the way the request was authenticated. */
const UNAUTHENTICATED_HINTS: Record<Exclude<Authentication, 'ci-token'>, string> = {
  sigv4: ' (check your AWS credentials: aws sts get-caller-identity)',
  'sandbox-user': ' (pass --as <user> or set JIT_USER to a user of the sandbox)',
};
/** A CI token's refusal explains itself; these two also need to say where the fix is. */
const CI_TOKEN_HINTS: Record<string, string> = {
  TOKEN_AUDIENCE_MISMATCH:
    " (mint the token for the audience the broker's ci.json gives its issuer: --audience or JIT_CI_AUDIENCE on GitHub, id_tokens aud on GitLab)",
  TOKEN_ISSUER_UNTRUSTED:
    ' (the broker trusts only the issuers in its ci.json: is --api the broker for this CI platform?)',
};
const NOT_FOUND_HINT = ' (see your grants with `jit list`, the ones you may approve with `jit inbox`)';

const hintFor = (status: number, code: string, authentication: Authentication): string => {
  if (authentication === 'ci-token') return status === 401 ? (CI_TOKEN_HINTS[code] ?? '') : '';
  if (status === 401) return UNAUTHENTICATED_HINTS[authentication];
  return status === 404 ? NOT_FOUND_HINT : '';
};

/** The sandbox refused its token (none, or one from an earlier start): say where the CLI looked. */
const sandboxTokenRefused = ({ apiUrl, sandboxToken }: CliConfig): string => {
  const why =
    sandboxToken?.value === undefined
      ? `no token in ${sandboxToken?.from ?? `$${SANDBOX_TOKEN_ENV}`}`
      : `the token from ${sandboxToken.from} is not this sandbox's; it changes at every start`;
  return `the sandbox at ${apiUrl.origin} wants its token: start it with npm start, or set ${SANDBOX_TOKEN_ENV} (${why})`;
};

/** Turns a non-2xx answer into an ApiError carrying the broker's own code and message. */
const apiFailure = async (
  response: HttpResponse,
  authentication: Authentication,
  config: CliConfig
): Promise<ApiError> => {
  const text = await response.text();
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    if (typeof error.code === 'string' && typeof error.message === 'string') {
      const message =
        config.mode === 'sandbox' && error.code.startsWith('SANDBOX_TOKEN_')
          ? sandboxTokenRefused(config)
          : `${error.message}${hintFor(response.status, error.code, authentication)}`;
      return new ApiError(response.status, error.code, `${message} [${response.status} ${error.code}]`);
    }
  } catch {
    // Not the broker's error shape: a proxy, a gateway default page, or the wrong --api.
  }
  const gateway = text.slice(0, 200).replace(/\s+/g, ' ').trim();
  return new ApiError(
    response.status,
    `HTTP_${response.status}`,
    `the broker answered ${response.status} ${response.statusText}: ${gateway || '(empty body)'} — is --api the broker's URL?`
  );
};

/**
 * The one way the CLI talks to the broker: JSON over HTTPS, SigV4-signed for API Gateway, or
 * with the sandbox's user header and per-start token when the API is the loopback sandbox.
 */
const createBrokerClient = (config: CliConfig, deps: ClientDeps): ApiCall => {
  return async <T>(method: 'GET' | 'POST', path: string, options: CallOptions = {}): Promise<T> => {
    const url = buildUrl(config.apiUrl, path, options.query);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let headers: Record<string, string> = {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    };
    const authentication: Authentication =
      options.bearer !== undefined ? 'ci-token' : config.mode === 'sandbox' ? 'sandbox-user' : 'sigv4';
    // The sandbox wants its token on every call, a CI job's included.
    if (config.sandboxToken?.value !== undefined) headers[SANDBOX_TOKEN_HEADER] = config.sandboxToken.value;
    if (options.bearer !== undefined) {
      headers.authorization = `Bearer ${options.bearer}`;
    } else if (config.mode === 'sandbox') {
      headers[SANDBOX_USER_HEADER] = config.user as string;
    } else {
      // Loaded only to sign: a cached credential_process answer never needs the signer.
      const { signRequest } = await import('./awsSigning.js');
      const signed = await signRequest(
        { method, url, headers, body },
        await deps.credentials(),
        config.region as string
      );
      // The HTTP client sets Host from the URL itself (the same value that was signed).
      const { host: _host, ...rest } = signed;
      headers = rest;
    }
    let response: HttpResponse;
    try {
      response = await deps.fetch(url, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw unreachable(config, error);
    }
    if (!response.ok) throw await apiFailure(response, authentication, config);
    const text = await response.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(
        response.status,
        'NOT_JSON',
        `the broker at ${config.apiUrl.origin} answered with something that is not JSON — is --api the broker's URL?`
      );
    }
  };
};

export type { ApiCall, CallOptions, ClientDeps };
export { createBrokerClient };
