import { ServiceUnavailableError } from '../../domain/errors.js';

/**
 * Why an AWS call failed when the failure is the dependency's, not the request's: it throttled us,
 * could not be reached, or answered with a server fault. The SDK has already retried all three.
 */
type Outage = 'throttled' | 'unreachable' | 'failing';

/** The codes one adapter reports each outage under, and the service name its messages use. */
interface OutageCodes {
  readonly service: string;
  readonly throttled: string;
  readonly unreachable: string;
  readonly failing: string;
}

/** Throttling error codes across the query (STS, IAM) and JSON (Scheduler) protocols. */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  // DynamoDB: a partition (or the table's provisioned capacity) past its throughput, after retries.
  'ProvisionedThroughputExceededException',
]);

/** Node socket errors: the request never got an HTTP answer. */
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** The HTTP status the SDK saw, if any. Its retry middleware adds `$metadata` even to socket errors. */
const httpStatusOf = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;

/** The error's name, for unmodelled AWS errors (AccessDenied, Throttling) that have no exception class. */
const hasName = (error: unknown, names: readonly string[]): boolean =>
  error instanceof Error && names.includes(error.name);

const outageOf = (error: unknown): Outage | undefined => {
  if (!(error instanceof Error)) return undefined;
  const status = httpStatusOf(error);
  if (THROTTLING.has(error.name) || status === 429) return 'throttled';
  if (status === undefined) {
    const code = (error as { code?: unknown }).code;
    // Errors raised before sending (no credentials, bad input) have no status either: only socket errors count.
    return (typeof code === 'string' && NETWORK.has(code)) || error.name === 'TimeoutError' ? 'unreachable' : undefined;
  }
  return status >= 500 ? 'failing' : undefined;
};

const MESSAGES: Readonly<Record<Outage, (service: string, status: number | undefined) => string>> = {
  throttled: (service) => `${service} is throttling the broker; try again in a few seconds`,
  unreachable: (service) => `the broker cannot reach ${service}; try again shortly`,
  failing: (service, status) => `${service} answered with a server error (HTTP ${status}); try again shortly`,
};

/**
 * The ServiceUnavailableError for an outage, or undefined when `error` is not one (then the
 * adapter translates or re-throws it). The SDK error is kept as `cause`; it never holds credentials.
 * `outage`: what the caller found the error to be, when only it can tell (default: outageOf).
 */
const outageError = (
  error: unknown,
  codes: OutageCodes,
  outage: Outage | undefined = outageOf(error)
): ServiceUnavailableError | undefined => {
  if (outage === undefined) return undefined;
  return new ServiceUnavailableError(codes[outage], MESSAGES[outage](codes.service, httpStatusOf(error)), {
    cause: error,
  });
};

export type { Outage, OutageCodes };
export { hasName, outageError, outageOf };
