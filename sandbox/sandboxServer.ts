import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Context } from 'aws-lambda';
import { SANDBOX_TOKEN_HEADER } from '../cli/sandboxToken.js';
import { USER_ID } from '../functions/config/patterns.js';
import { loggedError } from '../functions/domain/errors.js';
import { quoteInput } from '../functions/domain/untrustedText.js';
import type { HttpDeps, HttpHandler } from '../functions/handlers/http/httpRoute.js';
import type { HttpEvent, HttpResponse } from '../functions/handlers/http/httpTypes.js';
import { json } from '../functions/handlers/http/responses.js';
import type { Route } from '../functions/handlers/routes.js';
import { isPublicUiFile, isUiPath } from '../ui/server/staticUi.js';
import { admit, isRefusal, type Refusal, type Target, tokenRefusal } from './loopbackGate.js';
import { BODY_TIMEOUT_MS, type BodyReaders, readBody } from './requestBody.js';
import { type Match, routeMatcher } from './routeMatcher.js';
import type { StaticRoute } from './sandboxConsole.js';

/** The header that says who you are in the sandbox. Only this loopback server reads it. */
const SANDBOX_USER_HEADER = 'x-jit-user';
/** What the request log says for a client that left before its answer (nginx's "client closed request"). */
const CLIENT_GONE = 499;

interface RequestLine {
  method: string;
  path: string;
  status: number;
  ms: number;
  user?: string;
}

interface SandboxServerOptions {
  /** The per-start token every API request must carry in `x-jit-sandbox-token` (health excepted). */
  readonly token: string;
  readonly bodyTimeoutMs?: number;
  readonly onRequest?: (line: RequestLine) => void;
  /** The web console's files (/ui); everything else is the API. */
  readonly staticRoute?: StaticRoute;
  /** What GET /sandbox answers (behind the token, like the API). */
  readonly about?: SandboxAbout;
}

const lambdaContext = (name: string): Context =>
  ({ functionName: `sandbox-${name}`, awsRequestId: randomUUID() }) as unknown as Context;

/** Shapes a Node request like API Gateway's HTTP API v2.0 payload, so handlers cannot tell the difference. */
const toEvent = (req: IncomingMessage, target: Target, { route, params }: Match, body: string): HttpEvent => {
  const headers = Object.fromEntries(
    Object.entries(req.headers)
      // The token proves the caller is on this machine; past this point nothing needs it, and no log should hold it.
      .filter(([k]) => k !== SANDBOX_TOKEN_HEADER)
      .map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')])
  );
  const user = headers[SANDBOX_USER_HEADER];
  const query = Object.fromEntries(new URLSearchParams(target.query).entries());
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: target.path,
    rawQueryString: target.query,
    headers,
    ...(target.query ? { queryStringParameters: query } : {}),
    ...(Object.keys(params).length > 0 ? { pathParameters: params } : {}),
    ...(body === '' ? {} : { body }),
    isBase64Encoded: false,
    requestContext: {
      accountId: 'sandbox',
      apiId: 'sandbox',
      domainName: headers.host ?? '',
      domainPrefix: 'sandbox',
      http: {
        method: route.method,
        path: target.path,
        protocol: 'HTTP/1.1',
        sourceIp: req.socket.remoteAddress ?? '',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: `${route.method} ${route.path}`,
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
      ...(user !== undefined && USER_ID.test(user) ? { authorizer: { sandbox: { userId: user } } } : {}),
    },
  };
};

const refuse = ({ status, code, message }: Refusal, headers: Record<string, string> = {}): HttpResponse =>
  json(status, { error: { code, message } }, headers);

/**
 * Writes the answer. The connection closes after it when a body was left unread (refused before it
 * was read, or too slow: it would hold the connection) or when what followed on it could not be parsed.
 */
const send = (req: IncomingMessage, res: ServerResponse, response: HttpResponse, close = false): void => {
  if (res.headersSent || res.destroyed) return;
  const closing = close || !req.complete;
  const headers = { ...(response.headers as Record<string, string>), ...(closing ? { connection: 'close' } : {}) };
  res.writeHead(response.statusCode, headers);
  res.end(response.body);
};

/** Not an API route: where the sandbox's AWS emulator is, so the CLI prints and runs commands that reach it. */
const SANDBOX_ABOUT_PATH = '/sandbox';
interface SandboxAbout {
  readonly awsEndpoint?: string;
  readonly region?: string;
}

/** Node's parser refused the bytes themselves (before or inside a request): the status that says so. */
const PARSE_ERRORS: Record<string, Refusal> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'HEADERS_TOO_LARGE', message: 'the request headers are too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'REQUEST_TIMEOUT', message: 'the request did not arrive in time' },
};

const rawResponse = ({ status, code, message }: Refusal): string => {
  const body = JSON.stringify({ error: { code, message } });
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
};

/**
 * The API on a loopback socket, dispatching through the same route table and handlers as Lambda.
 * Only clients on this machine that address it by its loopback name and carry its per-start token
 * get past the gate (loopbackGate.ts); whatever a client sends or does, the listener answers or
 * closes, and nothing it throws can stop the process.
 */
const createSandboxServer = (routes: readonly Route[], deps: HttpDeps, options: SandboxServerOptions): Server => {
  const match = routeMatcher(routes);
  const handlers = new Map<string, HttpHandler>(routes.map((r) => [r.name, r.build(deps)]));
  const readers: BodyReaders = new WeakMap();
  /** Requests the listener is answering, by socket (pipelining allows several): a parse error there must not write a second answer. */
  const answering = new WeakMap<Socket, number>();
  /** Sockets on which a parse error followed a request still being answered: closed after that answer. */
  const unparsable = new WeakSet<Socket>();

  const respond = async (req: IncomingMessage): Promise<HttpResponse | 'gone'> => {
    const target = admit(req);
    if (isRefusal(target)) return refuse(target);
    const method = req.method ?? 'GET';
    if (options.staticRoute !== undefined && isUiPath(target.path)) {
      const refused = isPublicUiFile(target.path) ? undefined : tokenRefusal(req, options.token);
      return refused ? refuse(refused) : (options.staticRoute(method, target.path) as HttpResponse);
    }
    if (method === 'GET' && target.path === SANDBOX_ABOUT_PATH) {
      const refused = tokenRefusal(req, options.token);
      return refused ? refuse(refused) : json(200, options.about ?? {});
    }
    const lookup = match(method, target.path);
    if ('badEscape' in lookup) {
      return refuse({
        status: 400,
        code: 'BAD_PATH_ENCODING',
        message: `the path segment ${quoteInput(lookup.badEscape)} is not valid percent-encoded UTF-8`,
      });
    }
    if (lookup.found?.route.auth !== 'none') {
      const refused = tokenRefusal(req, options.token);
      if (refused) return refuse(refused);
    }
    if (lookup.found === undefined) {
      return lookup.allowed.length > 0
        ? refuse(
            { status: 405, code: 'METHOD_NOT_ALLOWED', message: `use ${lookup.allowed.join(' or ')} here` },
            { allow: lookup.allowed.join(', ') }
          )
        : refuse({ status: 404, code: 'NO_SUCH_ROUTE', message: `no route ${method} ${quoteInput(target.path)}` });
    }
    const body = await readBody(req, readers, { timeoutMs: options.bodyTimeoutMs ?? BODY_TIMEOUT_MS });
    switch (body.kind) {
      case 'gone':
        return 'gone';
      case 'too-large':
        return refuse({ status: 413, code: 'BODY_TOO_LARGE', message: 'the body is far too large' });
      case 'timeout':
        return refuse({ status: 408, code: 'BODY_TIMEOUT', message: 'the body did not arrive in time' });
      case 'refused':
        return refuse(body.refusal);
    }
    const handler = handlers.get(lookup.found.route.name) as HttpHandler;
    return handler(toEvent(req, target, lookup.found, body.text), lambdaContext(lookup.found.route.name));
  };

  const server = createServer((req, res) => {
    const started = Date.now();
    const socket = req.socket;
    answering.set(socket, (answering.get(socket) ?? 0) + 1);
    res.once('close', () => answering.set(socket, (answering.get(socket) ?? 1) - 1));
    const log = (status: number) => {
      const user = req.headers[SANDBOX_USER_HEADER];
      options.onRequest?.({
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0] ?? '',
        status,
        ms: Date.now() - started,
        ...(typeof user === 'string' && USER_ID.test(user) ? { user } : {}),
      });
    };
    respond(req)
      .then((response) => {
        if (response === 'gone' || req.socket.destroyed) return log(CLIENT_GONE);
        send(req, res, response, unparsable.has(req.socket));
        log(response.statusCode);
      })
      .catch((error: unknown) => {
        // Last resort: a bug in the server or a handler. The request gets a 500, the process carries on.
        deps.logger.error('sandbox request failed', { method: req.method, error: loggedError(error) });
        send(
          req,
          res,
          json(500, { error: { code: 'INTERNAL', message: 'the sandbox hit an unexpected error; it has been logged' } })
        );
        log(500);
      })
      .catch(() => res.destroy());
  });
  // Slowloris backstops: Node answers 408 itself when headers or a whole request take longer.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const reason = PARSE_ERRORS[error.code ?? ''] ?? {
      status: 400,
      code: 'MALFORMED_REQUEST',
      message: `the request is not valid HTTP/1.1 (${error.code ?? 'unknown'}: ${error.message})`,
    };
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
    } else if ((answering.get(socket) ?? 0) > 0) {
      // The listener answers: this refusal if the error is in the body it is reading, else its own answer, then closes.
      if (readers.get(socket)?.(reason) !== true) unparsable.add(socket);
    } else {
      socket.end(rawResponse(reason), () => socket.destroy());
    }
  });
  return server;
};

export type { RequestLine, SandboxServerOptions };
export { createSandboxServer, SANDBOX_USER_HEADER };
