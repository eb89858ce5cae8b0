import type { IncomingMessage } from 'node:http';
import { loopbackHosts } from '../cli/loopbackHosts.js';
import { sameToken } from '../cli/sameToken.js';
import { SANDBOX_TOKEN_ENV, SANDBOX_TOKEN_HEADER } from '../cli/sandboxToken.js';
import { quoteInput } from '../functions/domain/untrustedText.js';

/** Why the sandbox will not serve a request, as the `{error:{code,message}}` it answers. */
interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/** The request target split as API Gateway reports it: `rawPath` and `rawQueryString`. */
interface Target {
  readonly path: string;
  readonly query: string;
}

const refusal = (status: number, code: string, message: string): Refusal => ({ status, code, message });
const isRefusal = (value: unknown): value is Refusal =>
  typeof value === 'object' && value !== null && 'status' in value && 'code' in value;

const isLoopbackPeer = (address: string | undefined): boolean =>
  address !== undefined && (address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.'));

const hostList = (port: number) => `127.0.0.1:${port}, localhost:${port} or [::1]:${port}`;

/**
 * The path and query of the request target. Origin form (`/grants?inbox`) is split as-is, never
 * parsed as a URL (`//x` is not a host here); absolute form (`http://127.0.0.1:8787/grants`, what a
 * proxy sends) names the host itself, which then stands in for Host (RFC 9112 §3.2.2).
 */
const requestTarget = (raw: string): (Target & { authority?: string }) | Refusal => {
  const split = (pathAndQuery: string): Target => {
    const at = pathAndQuery.indexOf('?');
    return at < 0
      ? { path: pathAndQuery, query: '' }
      : { path: pathAndQuery.slice(0, at), query: pathAndQuery.slice(at + 1) };
  };
  if (raw.startsWith('/')) return split(raw);
  if (/^http:\/\//i.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return refusal(400, 'BAD_REQUEST_TARGET', `the request target ${quoteInput(raw)} is not a valid URL`);
    }
    return { ...split(`${url.pathname}${url.search}`), authority: url.host };
  }
  return refusal(
    400,
    'BAD_REQUEST_TARGET',
    `the request target ${quoteInput(raw)} is neither a path (/grants) nor an http URL; the sandbox serves paths such as /grants`
  );
};

/** How many times a header was sent: Node keeps only the first Host, a proxy in front may take the last. */
const occurrences = (req: IncomingMessage, name: string): number =>
  req.rawHeaders.filter((value, i) => i % 2 === 0 && value.toLowerCase() === name).length;

/**
 * Checks every request before anything else reads it: a loopback peer, a request target the
 * sandbox can route, exactly one Host and it one of the sandbox's own names on its own port, and
 * no other web origin. Answers the target to route, or why the request is refused.
 */
const admit = (req: IncomingMessage): Target | Refusal => {
  if (!isLoopbackPeer(req.socket.remoteAddress)) {
    return refusal(403, 'NOT_LOOPBACK', 'the sandbox only answers clients on this machine (127.0.0.1, ::1)');
  }
  const target = requestTarget(req.url ?? '');
  if (isRefusal(target)) return target;
  const port = req.socket.localPort ?? 0;
  const allowed = loopbackHosts(port);
  if (occurrences(req, 'host') > 1) {
    return refusal(400, 'DUPLICATE_HOST', 'send the Host header once');
  }
  const host = (target.authority ?? req.headers.host ?? '').toLowerCase();
  if (!allowed.has(host)) {
    return refusal(
      421,
      'WRONG_HOST',
      `${host === '' ? 'the request has no Host header' : `the request is addressed to ${quoteInput(host)}`}; the sandbox answers only requests addressed to ${hostList(port)} (a web page under another name that resolves here, DNS rebinding, is refused)`
    );
  }
  const origin = req.headers.origin;
  if (
    origin !== undefined &&
    !(origin.toLowerCase().startsWith('http://') && allowed.has(origin.slice(7).toLowerCase()))
  ) {
    return refusal(
      403,
      'CROSS_ORIGIN',
      `the sandbox does not answer web pages from other origins (${quoteInput(origin)}), only its own pages and clients that are not browsers`
    );
  }
  const { path, query } = target;
  return { path, query };
};

/** The per-start token, compared in constant time; undefined when it is the right one. */
const tokenRefusal = (req: IncomingMessage, expected: string): Refusal | undefined => {
  const given = req.headers[SANDBOX_TOKEN_HEADER];
  const how = `npm start printed it (export ${SANDBOX_TOKEN_ENV}=…) and wrote it where the jit CLI finds it; it changes at every start`;
  if (typeof given !== 'string' || given === '') {
    return refusal(
      401,
      'SANDBOX_TOKEN_MISSING',
      `send this sandbox's token in the header '${SANDBOX_TOKEN_HEADER}': ${how}`
    );
  }
  if (!sameToken(given, expected)) {
    return refusal(
      401,
      'SANDBOX_TOKEN_WRONG',
      `the header '${SANDBOX_TOKEN_HEADER}' is not this sandbox's token: ${how}`
    );
  }
  return undefined;
};

export type { Refusal, Target };
export { admit, isRefusal, loopbackHosts, tokenRefusal };
