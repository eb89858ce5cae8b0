import { finishGrant, revokeGrant } from '../app/endGrant.js';
import { extendGrant } from '../app/extendGrant.js';
import { vendCredentials } from '../app/vendCredentials.js';
import { grantIdOf } from './grantIdOf.js';
import { credentialProcessView, endedView, grantView } from './grantView.js';
import { httpRoute } from './http/httpRoute.js';
import { json } from './http/responses.js';
import { emptyBody, extendBody, revokeBody } from './schemas.js';

/** Credentials in credential_process form (see credentialProcessView). */
const credentials = httpRoute({
  body: { schema: emptyBody, required: false },
  run: async (deps, { caller, params }) => {
    const { credentials: issued } = await vendCredentials(deps, caller, grantIdOf(params));
    return json(200, credentialProcessView(issued));
  },
});

const done = httpRoute({
  body: { schema: emptyBody, required: false },
  run: async (deps, { caller, params }) => json(200, endedView(await finishGrant(deps, caller, grantIdOf(params)))),
});

const revoke = httpRoute({
  body: { schema: revokeBody, required: true },
  run: async (deps, { caller, params, body }) =>
    json(200, endedView(await revokeGrant(deps, caller, grantIdOf(params), body.reason))),
});

const extend = httpRoute({
  body: { schema: extendBody, required: true },
  run: async (deps, { caller, params, body }) =>
    json(200, grantView(await extendGrant(deps, caller, grantIdOf(params), body))),
});

export { credentials, done, extend, revoke };
