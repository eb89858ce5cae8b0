import { finishCiGrant, requestCiCredentials, revendCiCredentials } from '../app/ciCredentials.js';
import type { Grant } from '../domain/grant.js';
import type { IssuedCredentials } from '../ports.js';
import { grantIdOf } from './grantIdOf.js';
import { credentialProcessView, endedView } from './grantView.js';
import { bearerRoute } from './http/bearerRoute.js';
import { json } from './http/responses.js';
import type { Route } from './routes.js';
import { ciCredentialsBody, emptyBody } from './schemas.js';

/**
 * What a CI job gets: the grant to end later, where its session runs (account, session ARN, as a
 * job's outputs name them), and its credentials (marked no-store like every vend).
 */
const vended = ({ grant, credentials }: { grant: Grant; credentials: IssuedCredentials }) => ({
  grantId: grant.id,
  role: grant.roleId,
  accountId: grant.accountId,
  sessionArn: credentials.assumedRoleArn,
  expiresAt: grant.expiresAt,
  credentials: credentialProcessView(credentials),
});

// Built when a bundle uses them (see grantRoutes.ts).

const ciCredentials: Route = {
  name: 'ciCredentials',
  method: 'POST',
  path: '/ci/credentials',
  auth: 'oidc',
  build: /* @__PURE__ */ bearerRoute({
    body: { schema: ciCredentialsBody, required: true },
    run: async (deps, { token, body }) => json(200, vended(await requestCiCredentials(deps, token, body))),
  }),
};

const ciRevend: Route = {
  name: 'ciRevend',
  method: 'POST',
  path: '/ci/grants/{id}/credentials',
  auth: 'oidc',
  build: /* @__PURE__ */ bearerRoute({
    body: { schema: emptyBody, required: false },
    run: async (deps, { token, params }) =>
      json(200, vended(await revendCiCredentials(deps, token, grantIdOf(params)))),
  }),
};

const ciDone: Route = {
  name: 'ciDone',
  method: 'POST',
  path: '/ci/grants/{id}/done',
  auth: 'oidc',
  build: /* @__PURE__ */ bearerRoute({
    body: { schema: emptyBody, required: false },
    run: async (deps, { token, params }) => json(200, endedView(await finishCiGrant(deps, token, grantIdOf(params)))),
  }),
};

export { ciCredentials, ciDone, ciRevend };
