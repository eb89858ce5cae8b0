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

/**
 * The only place errors become HTTP. Broker errors say what to fix; anything else is a bug or an
 * outage, so the caller gets a generic 500 and the details go to the log only.
 */
const errorResponse = (error: unknown): { response: HttpResponse; unexpected: boolean } => {
  if (error instanceof BrokerError) {
    return { response: json(STATUS[error.kind], errorBody(error.code, error.message)), unexpected: false };
  }
  return {
    response: json(500, errorBody('INTERNAL', 'the broker hit an unexpected error; it has been logged')),
    unexpected: true,
  };
};

export { errorResponse, json, STATUS };
