import middy from '@middy/core';
import type { ZodMiniType } from 'zod/mini';
import { NotAuthenticatedError } from '../../domain/errors.js';
import { errorMapping, type HttpDeps, type HttpHandler } from './httpRoute.js';
import type { HttpEvent, HttpResponse } from './httpTypes.js';
import { type BodyRule, parseBody, parseParams } from './parseRequest.js';

/** Far above any CI platform's token; a longer header is refused before anything parses it. */
const MAX_TOKEN_CHARS = 8192;
const BEARER = /^Bearer ([A-Za-z0-9_.~+/=-]+)$/;

interface BearerInput<B> {
  /** The raw token: the use case verifies it. Never logged, never stored. */
  readonly token: string;
  readonly body: B;
  readonly params: Readonly<Record<string, string>>;
}

const bearerToken = (event: HttpEvent): string => {
  const header = event.headers?.authorization ?? '';
  const match = header.length <= MAX_TOKEN_CHARS ? BEARER.exec(header) : null;
  if (match?.[1] === undefined) {
    throw new NotAuthenticatedError(
      'NOT_AUTHENTICATED',
      "send the CI job's OIDC token in the header 'Authorization: Bearer <token>'"
    );
  }
  return match[1];
};

/**
 * A route authenticated by a CI job's OIDC token instead of SigV4 (route auth `oidc`): the token
 * in the Authorization header is the identity, verified by the use case; the body says what for.
 */
const bearerRoute =
  <B>(spec: {
    body: BodyRule & { schema: ZodMiniType<B> };
    run: (deps: HttpDeps, input: BearerInput<B>) => Promise<HttpResponse>;
  }) =>
  (deps: HttpDeps): HttpHandler =>
    middy<HttpEvent, HttpResponse>()
      .use(errorMapping(deps))
      .handler(async (event) =>
        spec.run(deps, {
          token: bearerToken(event),
          body: parseBody(event, spec.body) as B,
          params: parseParams(event),
        })
      );

export { bearerRoute };
