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

/** The one route table: API Gateway (CDK), the sandbox server and the OpenAPI test all read it. */
const ROUTES: readonly Route[] = [
  { name: 'health', method: 'GET', path: '/health', auth: 'none', build: grants.health },
  { name: 'createGrant', method: 'POST', path: '/grants', auth: 'iam', build: grants.createGrant },
  { name: 'listGrants', method: 'GET', path: '/grants', auth: 'iam', build: grants.listGrants },
  { name: 'getGrant', method: 'GET', path: '/grants/{id}', auth: 'iam', build: grants.showGrant },
  { name: 'approveGrant', method: 'POST', path: '/grants/{id}/approve', auth: 'iam', build: grants.approve },
  { name: 'denyGrant', method: 'POST', path: '/grants/{id}/deny', auth: 'iam', build: grants.deny },
  { name: 'cancelGrant', method: 'POST', path: '/grants/{id}/cancel', auth: 'iam', build: grants.cancel },
  { name: 'reviewGrant', method: 'POST', path: '/grants/{id}/review', auth: 'iam', build: grants.review },
  { name: 'getGrantAudit', method: 'GET', path: '/grants/{id}/audit', auth: 'iam', build: grants.showAudit },
  { name: 'vendCredentials', method: 'POST', path: '/grants/{id}/credentials', auth: 'iam', build: access.credentials },
  { name: 'finishGrant', method: 'POST', path: '/grants/{id}/done', auth: 'iam', build: access.done },
  { name: 'revokeGrant', method: 'POST', path: '/grants/{id}/revoke', auth: 'iam', build: access.revoke },
  { name: 'extendGrant', method: 'POST', path: '/grants/{id}/extend', auth: 'iam', build: access.extend },
  { name: 'ciCredentials', method: 'POST', path: '/ci/credentials', auth: 'oidc', build: ci.ciCredentials },
  { name: 'ciRevend', method: 'POST', path: '/ci/grants/{id}/credentials', auth: 'oidc', build: ci.ciRevend },
  { name: 'ciDone', method: 'POST', path: '/ci/grants/{id}/done', auth: 'oidc', build: ci.ciDone },
  { name: 'getReport', method: 'GET', path: '/reports/{kind}', auth: 'iam', build: reports.report },
];

export type { Method, Route };
export { ROUTES };
