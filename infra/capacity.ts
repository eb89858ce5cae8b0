import type { Route } from '../functions/handlers/routes.js';

/**
 * How much of the account's shared capacity each part of the broker may take, so that ending
 * access keeps working while something else floods. Sources and reasoning: docs/operations.md.
 *
 * Lambda: reserved concurrency is both a floor and a ceiling for one function, taken out of the
 * account's unreserved pool, and Lambda keeps at least 100 unreserved
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). The ending path gets
 * a floor: when every other function (the broker's or not) has used up the account's concurrency,
 * done, revoke, expiry and the sweeper still run.
 * - expire 10: expiry schedules of grants approved together fire in the same minute; Scheduler
 *   retries a throttled invocation (185 attempts over 24 h), so 10 only slows a burst down.
 * - finishGrant, revokeGrant, ciDone 5 each: one call is a transaction, a few IAM calls and a schedule
 *   deletion (about a second): 5 serve about 5 ends a second, each.
 * - sweep 1: it runs every five minutes with a four-minute timeout; a ceiling of one also keeps two
 *   sweeps from racing each other.
 * Total 26: the account needs a concurrency quota of at least 126. New accounts can start lower;
 * deploy with `-c reservedConcurrency=off` there until the quota is raised.
 */
const ENDING_RESERVED_CONCURRENCY: Readonly<Record<string, number>> = {
  expire: 10,
  finishGrant: 5,
  revokeGrant: 5,
  ciDone: 5,
  sweep: 1,
};

/** The context key that turns the reservations off (`-c reservedConcurrency=off`). */
const RESERVED_CONCURRENCY_CONTEXT = 'reservedConcurrency';

interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** Every route without its own setting: people's requests, reviews, reads (per route). */
const DEFAULT_ROUTE_THROTTLE: Throttle = { rateLimit: 50, burstLimit: 100 };

/**
 * Routes with a throttle of their own. API Gateway's account-level quota (10,000 requests per second
 * per Region, shared by every API in the account) is the one bucket all routes draw from; a route's
 * own limit bounds how much of it, and of Lambda's shared concurrency, that route can take.
 * - Reachable without AWS credentials (health, the CI routes, whose OIDC token is verified by the
 *   function): low limits, so an anonymous flood takes little of either.
 * - The ending routes: a bucket each, sized to their reserved concurrency, so requests beyond what
 *   the reserved functions can serve get 429 (retryable) rather than a Lambda throttle (5xx).
 */
const ROUTE_THROTTLES: Readonly<Record<string, Throttle>> = {
  health: { rateLimit: 5, burstLimit: 10 },
  ciCredentials: { rateLimit: 10, burstLimit: 20 },
  ciRevend: { rateLimit: 10, burstLimit: 20 },
  ciDone: { rateLimit: 5, burstLimit: 10 },
  finishGrant: { rateLimit: 5, burstLimit: 10 },
  revokeGrant: { rateLimit: 5, burstLimit: 10 },
};

/**
 * The HTTP API stage's RouteSettings, keyed by route key (`POST /grants/{id}/done`). CloudFormation
 * takes this property as plain JSON, so CDK passes it on as written: the keys are CloudFormation's.
 */
const routeSettings = (
  routes: readonly Route[]
): Record<string, { readonly ThrottlingRateLimit: number; readonly ThrottlingBurstLimit: number }> =>
  Object.fromEntries(
    routes.flatMap((route) => {
      const throttle = ROUTE_THROTTLES[route.name];
      return throttle === undefined
        ? []
        : [
            [
              `${route.method} ${route.path}`,
              { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit },
            ],
          ];
    })
  );

export type { Throttle };
export {
  DEFAULT_ROUTE_THROTTLE,
  ENDING_RESERVED_CONCURRENCY,
  RESERVED_CONCURRENCY_CONTEXT,
  ROUTE_THROTTLES,
  routeSettings,
};
