import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import { USER_ID } from '../functions/config/patterns.js';
import type { HttpDeps, HttpHandler } from '../functions/handlers/http/httpRoute.js';
import type { HttpEvent, HttpResponse } from '../functions/handlers/http/httpTypes.js';
import { json } from '../functions/handlers/http/responses.js';
import type { Route } from '../functions/handlers/routes.js';
import { routeMatcher } from './routeMatcher.js';

/** The header that says who you are in the sandbox. Only this loopback server reads it. */
const SANDBOX_USER_HEADER = 'x-jit-user';
/** Far above the API's own body limit, so the handler (not the server) answers oversize bodies. */
const MAX_READ_BYTES = 1024 * 1024;

const isLoopback = (address: string | undefined): boolean =>
  address !== undefined && (address.startsWith('127.') || address === '::1' || address === '::ffff:127.0.0.1');

const readBody = (req: IncomingMessage): Promise<string | 'too-large'> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_READ_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_READ_BYTES ? 'too-large' : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const lambdaContext = (name: string): Context =>
  ({ functionName: `sandbox-${name}`, awsRequestId: randomUUID() }) as unknown as Context;

/** Shapes a Node request like API Gateway's HTTP API v2.0 payload, so handlers cannot tell the difference. */
const toEvent = (
  req: IncomingMessage,
  url: URL,
  route: Route,
  params: Record<string, string>,
  body: string
): HttpEvent => {
  const headers = Object.fromEntries(
    Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(',') : (v ?? '')])
  );
  const user = headers[SANDBOX_USER_HEADER];
  const query = Object.fromEntries(url.searchParams.entries());
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: query } : {}),
    ...(Object.keys(params).length > 0 ? { pathParameters: params } : {}),
    ...(body === '' ? {} : { body }),
    isBase64Encoded: false,
    requestContext: {
      accountId: 'sandbox',
      apiId: 'sandbox',
      domainName: url.host,
      domainPrefix: 'sandbox',
      http: {
        method: route.method,
        path: url.pathname,
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

const send = (res: ServerResponse, response: HttpResponse): void => {
  res.writeHead(response.statusCode, response.headers as Record<string, string>);
  res.end(response.body);
};

/** Not an API route: where the sandbox's AWS emulator is, so the CLI prints and runs commands that reach it. */
const SANDBOX_ABOUT_PATH = '/sandbox';
interface SandboxAbout {
  readonly awsEndpoint?: string;
  readonly region?: string;
}

/**
 * The API on a loopback socket, dispatching through the same route table and handlers as Lambda.
 * Requests from any address other than loopback are refused even if someone rebinds it.
 */
const createSandboxServer = (
  routes: readonly Route[],
  deps: HttpDeps,
  onRequest: (line: { method: string; path: string; status: number; ms: number; user?: string }) => void = () => {},
  about: SandboxAbout = {}
): Server => {
  const match = routeMatcher(routes);
  const handlers = new Map<string, HttpHandler>(routes.map((r) => [r.name, r.build(deps)]));
  return createServer(async (req, res) => {
    const started = Date.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    let response: HttpResponse;
    if (!isLoopback(req.socket.remoteAddress)) {
      response = json(403, { error: { code: 'NOT_LOOPBACK', message: 'the sandbox only answers loopback clients' } });
    } else if (method === 'GET' && url.pathname === SANDBOX_ABOUT_PATH) {
      response = json(200, about);
    } else {
      const lookup = match(method, url.pathname);
      const body = await readBody(req);
      if (lookup.found === undefined) {
        response =
          lookup.allowed.length > 0
            ? json(
                405,
                { error: { code: 'METHOD_NOT_ALLOWED', message: `use ${lookup.allowed.join(' or ')} here` } },
                { allow: lookup.allowed.join(', ') }
              )
            : json(404, { error: { code: 'NO_SUCH_ROUTE', message: `no route ${method} ${url.pathname}` } });
      } else if (body === 'too-large') {
        response = json(413, { error: { code: 'BODY_TOO_LARGE', message: 'the body is far too large' } });
      } else {
        const { route, params } = lookup.found;
        const handler = handlers.get(route.name) as HttpHandler;
        response = await handler(toEvent(req, url, route, params, body), lambdaContext(route.name));
      }
    }
    send(res, response);
    const user = req.headers[SANDBOX_USER_HEADER];
    onRequest({
      method,
      path: url.pathname,
      status: response.statusCode,
      ms: Date.now() - started,
      ...(typeof user === 'string' ? { user } : {}),
    });
  });
};

export type { SandboxAbout };
export { createSandboxServer, SANDBOX_ABOUT_PATH, SANDBOX_USER_HEADER };
