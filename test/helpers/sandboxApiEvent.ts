import type { HttpEvent } from '../../functions/handlers/http/httpTypes.js';

/**
 * The API Gateway event of `METHOD /grants/{id}[/<action>]` by a sandbox user, as the route handlers
 * receive it: tests and benchmarks call a handler directly, without an HTTP server in between.
 */
const grantRouteEvent = (
  method: 'GET' | 'POST',
  grantId: string,
  userId: string,
  options: { action?: string; body?: unknown } = {}
): HttpEvent => {
  const { action, body } = options;
  const suffix = action === undefined ? '' : `/${action}`;
  return {
    version: '2.0',
    routeKey: `${method} /grants/{id}${suffix}`,
    rawPath: `/grants/${grantId}${suffix}`,
    rawQueryString: '',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    pathParameters: { id: grantId },
    isBase64Encoded: false,
    requestContext: { authorizer: { sandbox: { userId } }, http: { method } },
  } as unknown as HttpEvent;
};

export { grantRouteEvent };
