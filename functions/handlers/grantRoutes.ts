import { auditGrant } from '../app/grantAudit.js';
import { getGrant, listInbox, listMyGrants, listReviewsDue } from '../app/readGrants.js';
import { requestGrant } from '../app/requestGrant.js';
import { approveGrant, cancelGrant, denyGrant, reviewGrant } from '../app/reviewGrant.js';
import type { GrantRequest } from '../domain/grant.js';
import { auditQuery } from './auditSchemas.js';
import { grantIdOf } from './grantIdOf.js';
import { auditView, grantView } from './grantView.js';
import { httpRoute, publicRoute } from './http/httpRoute.js';
import { json } from './http/responses.js';
import { createGrantBody, listGrantsQuery, optionalCommentBody, requiredCommentBody } from './schemas.js';

const DEFAULT_PAGE = 25;

const health = publicRoute(async (deps) => json(200, { status: 'ok', catalogVersion: deps.config.catalog.version }));

const createGrant = httpRoute({
  body: { schema: createGrantBody, required: true },
  run: async (deps, { caller, body }) => {
    const grant = await requestGrant(deps, caller, body as GrantRequest);
    return json(201, grantView(grant), { location: `/grants/${grant.id}` });
  },
});

const listGrants = httpRoute({
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
});

const showGrant = httpRoute({
  run: async (deps, { caller, params }) => json(200, grantView(await getGrant(deps, caller, grantIdOf(params)))),
});

const approve = httpRoute({
  body: { schema: optionalCommentBody, required: false },
  run: async (deps, { caller, params, body }) =>
    json(200, grantView(await approveGrant(deps, caller, grantIdOf(params), body.comment))),
});

const deny = httpRoute({
  body: { schema: requiredCommentBody, required: true },
  run: async (deps, { caller, params, body }) =>
    json(200, grantView(await denyGrant(deps, caller, grantIdOf(params), body.comment))),
});

const cancel = httpRoute({
  body: { schema: optionalCommentBody, required: false },
  run: async (deps, { caller, params, body }) =>
    json(200, grantView(await cancelGrant(deps, caller, grantIdOf(params), body.comment))),
});

/** Security's after-the-fact review of a break-glass grant. */
const review = httpRoute({
  body: { schema: requiredCommentBody, required: true },
  run: async (deps, { caller, params, body }) =>
    json(200, grantView(await reviewGrant(deps, caller, grantIdOf(params), body.comment))),
});

const showAudit = httpRoute({
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
});

export { approve, cancel, createGrant, deny, health, listGrants, review, showAudit, showGrant };
