import { BrokerError, ConfigurationError } from '../functions/domain/errors.js';

/**
 * The CLI's exit codes, in one table so `--help`, docs/cli.md and the code cannot drift apart.
 * Scripts branch on these; keep the numbers stable.
 */
const EXIT = {
  ok: 0,
  /** What was typed or configured is wrong: unknown flag, bad duration, no --as for the sandbox. */
  usage: 1,
  /** The broker refused the request (4xx): not found, not allowed, wrong state, invalid input. */
  refused: 2,
  /** The grant cannot give access: denied, cancelled, ended, revoked or expired. */
  grantClosed: 3,
  /** The broker could not be reached (connection refused, DNS, timeout). */
  unreachable: 4,
  /** The broker answered with a 5xx or something that is not its API. */
  brokerFailed: 5,
  /** `--wait --timeout` ran out while the grant was still pending. */
  stillPending: 6,
  /** `jit audit`: the signed chain, the kill record or the archive comparison does not hold (tampering). */
  chainBroken: 8,
  /** Anything else: a local failure (file permissions, …) or a bug; the message says which. */
  unexpected: 70,
  /** Ctrl-C while waiting. */
  interrupted: 130,
} as const;

type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A problem the CLI found itself; `exitCode` says which row of EXIT it is. */
class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(exitCode: ExitCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.exitCode = exitCode;
    this.name = new.target.name;
  }
}

class UsageError extends CliError {
  constructor(message: string) {
    super(EXIT.usage, message);
  }
}

/** The broker answered with `{"error": {"code", "message"}}` (or failed to). */
class ApiError extends CliError {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(exitCodeForStatus(status, code), message);
    this.status = status;
    this.code = code;
  }
}

class BrokerUnreachableError extends CliError {
  constructor(message: string, options?: ErrorOptions) {
    super(EXIT.unreachable, message, options);
  }
}

/** The grant reached (or is in) a state that will never give access. */
class GrantClosedError extends CliError {
  constructor(message: string) {
    super(EXIT.grantClosed, message);
  }
}

/** API codes that mean "this grant is over", whatever the HTTP status. */
const GRANT_OVER_CODES = new Set(['GRANT_ENDED', 'GRANT_EXPIRED', 'GRANT_NOT_LIVE']);

function exitCodeForStatus(status: number, code: string): ExitCode {
  if (GRANT_OVER_CODES.has(code)) return EXIT.grantClosed;
  if (status >= 400 && status < 500) return EXIT.refused;
  return EXIT.brokerFailed;
}

/**
 * The only place errors become exit codes. Domain errors thrown locally (a duration the user
 * typed, a broken config file) are usage problems: the broker never saw them.
 */
const exitCodeFor = (error: unknown): ExitCode => {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof BrokerError || error instanceof ConfigurationError) return EXIT.usage;
  return EXIT.unexpected;
};

export type { ExitCode };
export { ApiError, BrokerUnreachableError, CliError, EXIT, exitCodeFor, GrantClosedError, UsageError };
