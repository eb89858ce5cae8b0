import { auditGrant } from '../app/grantAudit.js';
import type { ApprovedOpening } from '../app/openApprovedByPolicy.js';
import { getGrant, listInbox, listMyGrants, listReviewsDue } from '../app/readGrants.js';
import { requestGrant, requestGrantWithCredentials } from '../app/requestGrant.js';
import { approveGrant, cancelGrant, denyGrant, reviewGrant } from '../app/reviewGrant.js';
import type { GrantRequest } from '../domain/grant.js';
import { auditQuery } from './auditSchemas.js';
import { grantIdOf } from './grantIdOf.js';
import { auditView, credentialProcessView, grantView } from './grantView.js';
import { httpRoute, publicRoute } from './http/httpRoute.js';
import { errorDetail, json } from './http/responses.js';
import type { Route } from './routes.js';
import {
  createGrantBody,
  createGrantQuery,
  listGrantsQuery,
  optionalCommentBody,
  requiredCommentBody,
} from './schemas.js';

const DEFAULT_PAGE = 25;

// Each route's handler is built when a bundle uses it (/* @__PURE__ */ lets esbuild leave out the
// routes a Lambda bundle does not deploy: handlers/lambda/bundles.ts).

const health: Route = {
  name: 'health',
  method: 'GET',
  path: '/health',
  auth: 'none',
  build: /* @__PURE__ */ publicRoute(async (deps) =>
    json(200, { status: 'ok', catalogVersion: deps.config.catalog.version })
  ),
};

/**
 * The grant, with `?credentials=true`: its first credentials when it was approved at once (in the
 * vend route's credential_process shape; every JSON answer is no-store), or `credentialsError`
 * saying why an approved grant came without them — the vend route can be asked then.
 */
const requestedView = ({ grant, credentials, vendFailure }: ApprovedOpening) => ({
  ...grantView(grant),
  ...(credentials === undefined ? {} : { credentials: credentialProcessView(credentials) }),
  ...(vendFailure === undefined ? {} : { credentialsError: errorDetail(vendFailure) }),
});

const createGrant: Route = {
  name: 'createGrant',
  method: 'POST',
  path: '/grants',
  auth: 'iam',
  build: /* @__PURE__ */ httpRoute({
    query: createGrantQuery,
    body: { schema: createGrantBody, required: true },
    run: async (deps, { caller, query, body }) => {
      const request = body as GrantRequest;
      const answer =
        query.credentials === undefined
          ? { grant: await requestGrant(deps, caller, request) }
          : await requestGrantWithCredentials(deps, caller, request);
      return json(201, requestedView(answer), { location: `/grants/${answer.grant.id}` });
    },
  }),
};

const listGrants: Route = {
  name: 'listGrants',
  method: 'GET',
  path: '/grants',
  auth: 'iam',
  build: /* @__PURE__ */ httpRoute({
    query: listGrantsQuery,
    run: async (deps, { caller, query }) => {
      const page = { limit: query.limit ?? DEFAULT_PAGE, ...(query.cursor ? { cursor: query.cursor } : {}) };
      const result =
        query.reviews !== undefined
          ? await listReviewsDue(deps, caller, page.limit)
          : query.inbox === undefined
            ? await listMyGrants(deps, caller, page)
            : await listInbox(deps, caller, page);
      return json(200, { grants: result.items.map(grantView), nextCursor: result.nextCursor });
    },
  }),
};

const getGrantRoute: Route = {
  name: 'getGrant',
  method: 'GET',
  path: '/grants/{id}',
  auth: 'iam',
  build: /* @__PURE__ */ httpRoute({
    run: async (deps, { caller, params }) => json(200, grantView(await getGrant(deps, caller, grantIdOf(params)))),
  }),
};

const approveGrantRoute: Route = {
  name: 'approveGrant',
  method: 'POST',
  path: '/grants/{id}/approve',
  auth: 'iam',
  build: /* @__PURE__ */ httpRoute({
    body: { schema: optionalCommentBody, required: false },
    run: async (deps, { caller, params, body }) =>
      json(200, grantView(await approveGrant(deps, caller, grantIdOf(params), body.comment))),
  }),
};

const denyGrantRoute: Route = {
  name: 'denyGrant',
  method: 'POST',
  path: '/grants/{id}/deny',
  auth: 'iam',
  build: /* @__PURE__ */ httpRoute({
    body: { schema: requiredCommentBody, required: true },
    run: async (deps, { caller, params, body }) =>
      json(200, grantView(await denyGrant(deps, caller, grantIdOf(params), body.comment))),
  }),
};

const cancelGrantRoute: Route = {
  name: 'cancelGrant',
  method: 'POST',
  path: '/grants/{id}/cancel',
  auth: 'iam',
  build: /* @__PURE__ */ httpRoute({
    body: { schema: optionalCommentBody, required: false },
    run: async (deps, { caller, params, body }) =>
      json(200, grantView(await cancelGrant(deps, caller, grantIdOf(params), body.comment))),
  }),
};

/** Security's after-the-fact review of a break-glass grant. */
const reviewGrantRoute: Route = {
  name: 'reviewGrant',
  method: 'POST',
  path: '/grants/{id}/review',
  auth: 'iam',
  build: /* @__PURE__ */ httpRoute({
    body: { schema: requiredCommentBody, required: true },
    run: async (deps, { caller, params, body }) =>
      json(200, grantView(await reviewGrant(deps, caller, grantIdOf(params), body.comment))),
  }),
};

const getGrantAudit: Route = {
  name: 'getGrantAudit',
  method: 'GET',
  path: '/grants/{id}/audit',
  auth: 'iam',
  build: /* @__PURE__ */ httpRoute({
    query: auditQuery,
    run: async (deps, { caller, params, query }) =>
      json(
        200,
        auditView(
          await auditGrant(deps, caller, grantIdOf(params), {
            cloudTrail: query.lookup === 'cloudtrail',
            archive: query.compare === 'archive',
          })
        )
      ),
  }),
};

export {
  approveGrantRoute as approveGrant,
  cancelGrantRoute as cancelGrant,
  createGrant,
  denyGrantRoute as denyGrant,
  getGrantAudit,
  getGrantRoute as getGrant,
  health,
  listGrants,
  reviewGrantRoute as reviewGrant,
};
