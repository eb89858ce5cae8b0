import { runReport } from '../app/reports.js';
import { reportQuery } from './auditSchemas.js';
import { httpRoute } from './http/httpRoute.js';
import { json } from './http/responses.js';
import type { Route } from './routes.js';

/** `GET /reports/{kind}`: security's effectiveness reports (docs/reports.md). Built when a bundle uses it. */
const getReport: Route = {
  name: 'getReport',
  method: 'GET',
  path: '/reports/{kind}',
  auth: 'iam',
  build: /* @__PURE__ */ httpRoute({
    query: reportQuery,
    run: async (deps, { caller, params, query }, lambda) =>
      json(
        200,
        await runReport(deps, caller, params.kind ?? '', {
          ...(query.from === undefined ? {} : { from: query.from }),
          ...(query.to === undefined ? {} : { to: query.to }),
          ...(query.reuseThreshold === undefined ? {} : { reuseThreshold: query.reuseThreshold }),
          // Lambda stops the function at its timeout: the report stops reading before, and says so.
          ...(typeof lambda.getRemainingTimeInMillis === 'function'
            ? { deadline: deps.clock.now().getTime() + lambda.getRemainingTimeInMillis() }
            : {}),
        })
      ),
  }),
};

export { getReport };
