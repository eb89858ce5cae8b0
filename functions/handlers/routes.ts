import * as access from './accessRoutes.js';
import * as ci from './ciRoutes.js';
import * as grants from './grantRoutes.js';
import type { HttpDeps, HttpHandler } from './http/httpRoute.js';
import * as reports from './reportRoutes.js';

type Method = 'GET' | 'POST';

interface Route {
  /** Also the Lambda handler's export name and the function's logical id in CDK. */
  readonly name: string;
  readonly method: Method;
  /** API Gateway path syntax: `{id}` is a path parameter. */
  readonly path: string;
  /**
   * `iam`: SigV4 via API Gateway's IAM authorizer. `oidc`: a CI job's OIDC token, verified by the
   * function itself (no API Gateway authorizer). `none`: unauthenticated (health only).
   */
  readonly auth: 'iam' | 'oidc' | 'none';
  readonly build: (deps: HttpDeps) => HttpHandler;
}

/**
 * The one route table: API Gateway (CDK), the sandbox server and the OpenAPI test all read it. Each
 * route is declared beside its handler (grantRoutes.ts, accessRoutes.ts, ciRoutes.ts,
 * reportRoutes.ts), where a Lambda bundle takes only the routes it deploys.
 */
const ROUTES: readonly Route[] = [
  grants.health,
  grants.createGrant,
  grants.listGrants,
  grants.getGrant,
  grants.approveGrant,
  grants.denyGrant,
  grants.cancelGrant,
  grants.reviewGrant,
  grants.getGrantAudit,
  access.vendCredentials,
  access.finishGrant,
  access.revokeGrant,
  access.extendGrant,
  ci.ciCredentials,
  ci.ciRevend,
  ci.ciDone,
  reports.getReport,
];

export type { Method, Route };
export { ROUTES };
