import { BrokerError, type ErrorKind } from '../../domain/errors.js';
import type { HttpResponse } from './httpTypes.js';

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  'unsupported-media-type': 415,
  unavailable: 503,
};

const HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

const json = (statusCode: number, payload: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode,
  headers: { ...HEADERS, ...headers },
  body: JSON.stringify(payload),
});

const errorBody = (code: string, message: string) => ({ error: { code, message } });

const UNEXPECTED = { code: 'INTERNAL', message: 'the broker hit an unexpected error; it has been logged' };

/** What a caller is told of an error: a broker error's code and message; of anything else, nothing. */
const errorDetail = (error: unknown): { code: string; message: string } =>
  error instanceof BrokerError ? { code: error.code, message: error.message } : UNEXPECTED;

/**
 * The only place errors become HTTP. Broker errors say what to fix; anything else is a bug or an
 * outage, so the caller gets a generic 500 and the details go to the log only.
 */
const errorResponse = (error: unknown): { response: HttpResponse; unexpected: boolean } => {
  const { code, message } = errorDetail(error);
  const status = error instanceof BrokerError ? STATUS[error.kind] : 500;
  return { response: json(status, errorBody(code, message)), unexpected: !(error instanceof BrokerError) };
};

export { errorDetail, errorResponse, json, STATUS };
