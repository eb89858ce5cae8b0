/**
 * The one error hierarchy of the broker. Every layer throws these; only the HTTP edge
 * (handlers/http/errorResponse.ts) and the CLI turn them into status codes and exit codes.
 * `code` is stable and machine-readable; `message` tells the caller what to fix.
 */
type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'too-large'
  | 'unsupported-media-type'
  | 'unavailable';

abstract class BrokerError extends Error {
  abstract readonly kind: ErrorKind;
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The request is malformed or asks for something the catalog does not allow. */
class ValidationError extends BrokerError {
  readonly kind = 'invalid';
}

/** No usable identity: unsigned request, or a caller no identity source maps to a user. */
class NotAuthenticatedError extends BrokerError {
  readonly kind = 'unauthenticated';
}

/** The caller is known but may not do this (self-approval, not an approver, not the requester). */
class ForbiddenError extends BrokerError {
  readonly kind = 'forbidden';
}

/** The thing does not exist, or the caller may not know that it exists. */
class NotFoundError extends BrokerError {
  readonly kind = 'not-found';
}

/** The grant is not in a state that allows this, or someone else changed it first. */
class ConflictError extends BrokerError {
  readonly kind = 'conflict';
}

/** A transition the state machine does not have (e.g. approving a DENIED grant). */
class IllegalTransitionError extends ConflictError {}

/**
 * The expected state or version of a grant no longer matches the store: another writer won.
 * Use cases retry these after re-reading; callers only see one when retries run out.
 */
class ConcurrentUpdateError extends ConflictError {}

class PayloadTooLargeError extends BrokerError {
  readonly kind = 'too-large';
}

class UnsupportedMediaTypeError extends BrokerError {
  readonly kind = 'unsupported-media-type';
}

/** A dependency (table, STS, scheduler) cannot be reached or is not configured. */
class ServiceUnavailableError extends BrokerError {
  readonly kind = 'unavailable';
}

/**
 * Broker configuration (catalog, groups, identity sources) failed validation.
 * Carries every problem found, so an operator fixes them in one pass.
 */
class ConfigurationError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid broker configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigurationError';
    this.problems = problems;
  }
}

/** Anything thrown, as a log line carries it in full: its name, message and stack. */
const loggedError = (thrown: unknown) => {
  const error = thrown as Partial<Error> | null | undefined;
  return { name: error?.name, message: error?.message, stack: error?.stack };
};

export type { ErrorKind };
export {
  BrokerError,
  ConcurrentUpdateError,
  ConfigurationError,
  ConflictError,
  ForbiddenError,
  IllegalTransitionError,
  loggedError,
  NotAuthenticatedError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
};
