import { finishGrant, revokeGrant } from '../app/endGrant.js';
import { extendGrant } from '../app/extendGrant.js';
import { vendCredentials } from '../app/vendCredentials.js';
import { grantIdOf } from './grantIdOf.js';
import { credentialProcessView, endedView, grantView } from './grantView.js';
import { httpRoute } from './http/httpRoute.js';
import { json } from './http/responses.js';
import type { Route } from './routes.js';
import { emptyBody, extendBody, revokeBody } from './schemas.js';

// Built when a bundle uses them (see grantRoutes.ts).

/** Credentials in credential_process form (see credentialProcessView). */
const vendCredentialsRoute: Route = {
  name: 'vendCredentials',
  method: 'POST',
  path: '/grants/{id}/credentials',
  auth: 'iam',
  build: /* @__PURE__ */ httpRoute({
    body: { schema: emptyBody, required: false },
    run: async (deps, { caller, params }) => {
      const { credentials: issued } = await vendCredentials(deps, caller, grantIdOf(params));
      return json(200, credentialProcessView(issued));
    },
  }),
};

const finishGrantRoute: Route = {
  name: 'finishGrant',
  method: 'POST',
  path: '/grants/{id}/done',
  auth: 'iam',
  build: /* @__PURE__ */ httpRoute({
    body: { schema: emptyBody, required: false },
    run: async (deps, { caller, params }) => json(200, endedView(await finishGrant(deps, caller, grantIdOf(params)))),
  }),
};

const revokeGrantRoute: Route = {
  name: 'revokeGrant',
  method: 'POST',
  path: '/grants/{id}/revoke',
  auth: 'iam',
  build: /* @__PURE__ */ httpRoute({
    body: { schema: revokeBody, required: true },
    run: async (deps, { caller, params, body }) =>
      json(200, endedView(await revokeGrant(deps, caller, grantIdOf(params), body.reason))),
  }),
};

const extendGrantRoute: Route = {
  name: 'extendGrant',
  method: 'POST',
  path: '/grants/{id}/extend',
  auth: 'iam',
  build: /* @__PURE__ */ httpRoute({
    body: { schema: extendBody, required: true },
    run: async (deps, { caller, params, body }) =>
      json(200, grantView(await extendGrant(deps, caller, grantIdOf(params), body))),
  }),
};

export {
  extendGrantRoute as extendGrant,
  finishGrantRoute as finishGrant,
  revokeGrantRoute as revokeGrant,
  vendCredentialsRoute as vendCredentials,
};
