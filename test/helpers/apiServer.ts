import type { AddressInfo } from 'node:net';
import { SANDBOX_TOKEN_HEADER } from '../../cli/sandboxToken.js';
import type { HttpDeps } from '../../functions/handlers/http/httpRoute.js';
import { ROUTES, type Route } from '../../functions/handlers/routes.js';
import { createSandboxServer, SANDBOX_USER_HEADER } from '../../sandbox/sandboxServer.js';
import { newSandboxToken } from '../../sandbox/sandboxToken.js';
import { asFunction } from './awsCallRecorder.js';

interface ApiAnswer {
  readonly status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests assert on response JSON of many shapes
  readonly body: any;
  readonly headers: Headers;
}

/** Each route runs as its own Lambda function would: the AWS calls it makes are recorded as that function's. */
const asLambdaFunctions = (routes: readonly Route[]): Route[] =>
  routes.map((route) => ({
    ...route,
    build: (deps) => {
      const handler = route.build(deps);
      return (event, context) => asFunction(route.name, () => handler(event, context));
    },
  }));

/** The API over real HTTP on 127.0.0.1, through the same route table and handlers as Lambda. */
const startApi = async (deps: HttpDeps) => {
  const token = newSandboxToken();
  const server = createSandboxServer(asLambdaFunctions(ROUTES), deps, { token });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const call = async (
    user: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {}
  ): Promise<ApiAnswer> => {
    const init: RequestInit = {
      method,
      headers: {
        [SANDBOX_TOKEN_HEADER]: token,
        ...(user === undefined ? {} : { [SANDBOX_USER_HEADER]: user }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    };
    const res = await fetch(`${base}${path}`, init);
    const text = await res.text();
    return { status: res.status, body: text === '' ? undefined : JSON.parse(text), headers: res.headers };
  };

  /** Requests made as `user`, as the sandbox's local identity. */
  const as = (user: string) => ({
    get: (path: string) => call(user, 'GET', path),
    post: (path: string, body?: unknown, headers?: Record<string, string>) => call(user, 'POST', path, body, headers),
  });

  return {
    base,
    token,
    as,
    anonymous: { get: (path: string) => call(undefined, 'GET', path) },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** A valid request body; override what a test is about. */
const grantRequest = (overrides: Record<string, unknown> = {}) => ({
  role: 'prod-read',
  scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] },
  durationSeconds: 1800,
  reason: 'debug the nightly export job',
  ...overrides,
});

export type { ApiAnswer };
export { grantRequest, startApi };
