import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import '../../config/zodMessages.js';
import type { BrokerDeps } from '../../app/deps.js';
import type { Caller } from '../../domain/caller.js';
import { loggedError } from '../../domain/errors.js';
import type { Authenticator } from './authenticators.js';
import type { HttpEvent, HttpResponse } from './httpTypes.js';
import { type BodyRule, parseBody, parseParams, parseQuery } from './parseRequest.js';
import { errorResponse } from './responses.js';

/** What the HTTP edge needs on top of the use cases' dependencies. */
interface HttpDeps extends BrokerDeps {
  readonly authenticate: Authenticator;
}

interface RouteInput<B, Q> {
  readonly caller: Caller;
  readonly body: B;
  readonly query: Q;
  readonly params: Readonly<Record<string, string>>;
}

type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResponse>;

const NO_QUERY = z.strictObject({});

/** Maps every thrown error to a response at the edge, logging the unexpected ones in full. */
const errorMapping = (deps: HttpDeps): middy.MiddlewareObj<HttpEvent, HttpResponse> => ({
  onError: (request) => {
    const { response, unexpected } = errorResponse(request.error);
    if (unexpected) {
      deps.logger.error('unexpected error', { route: request.event.routeKey, error: loggedError(request.error) });
    }
    request.response = response;
  },
});

/** Authenticates the caller and validates the query string and body, in that order. */
const requestParsing = <Q>(
  deps: HttpDeps,
  spec: { body?: BodyRule; query?: z.ZodMiniType<Q> }
): middy.MiddlewareObj<HttpEvent, HttpResponse> => ({
  before: async (request) => {
    const { event } = request;
    const userId = deps.authenticate(event);
    const caller: Caller = { userId, groups: await deps.directory.groupsOf(userId) };
    event.input = {
      caller,
      query: parseQuery(event, (spec.query ?? NO_QUERY) as z.ZodMiniType<unknown>) as Record<string, string>,
      body: spec.body === undefined ? undefined : parseBody(event, spec.body),
      params: parseParams(event),
    };
  },
});

/**
 * One authenticated JSON route: middy does authentication, parsing and error mapping, so `run`
 * only calls a use case and shapes its answer.
 */
const httpRoute =
  <B = undefined, Q = Record<string, never>>(spec: {
    body?: BodyRule & { schema: z.ZodMiniType<B> };
    query?: z.ZodMiniType<Q>;
    /** `lambda` is the invocation's context: in the sandbox, only some of it (no remaining time). */
    run: (deps: HttpDeps, input: RouteInput<B, Q>, lambda: Partial<Context>) => Promise<HttpResponse>;
  }) =>
  (deps: HttpDeps): HttpHandler =>
    middy<HttpEvent, HttpResponse>()
      .use(errorMapping(deps))
      .use(requestParsing<Q>(deps, spec))
      .handler(async (event, context) => {
        const input = event.input as unknown as RouteInput<B, Q>;
        return spec.run(deps, input, context ?? {});
      });

/** A route without authentication (health checks). */
const publicRoute =
  (run: (deps: HttpDeps) => Promise<HttpResponse>) =>
  (deps: HttpDeps): HttpHandler =>
    middy<HttpEvent, HttpResponse>()
      .use(errorMapping(deps))
      .handler(() => run(deps));

export type { HttpDeps, HttpHandler, RouteInput };
export { errorMapping, httpRoute, publicRoute };
