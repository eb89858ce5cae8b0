import { describe, expect, it } from 'vitest';
import type { HttpDeps } from '../../functions/handlers/http/httpRoute.js';
import type { HttpEvent } from '../../functions/handlers/http/httpTypes.js';
import { ROUTES } from '../../functions/handlers/routes.js';
import { capturingLogger, exampleConfig } from '../helpers/fixtures.js';
import { grantRouteEvent } from '../helpers/sandboxApiEvent.js';

/** A store that fails the way a bug or an outage does: a plain Error carrying internal detail. */
const brokenStore = new Proxy(
  {},
  {
    get: () => async () => {
      throw new Error('connect ECONNRESET 10.0.3.7:443 table=prod-grants token=AKIASECRET');
    },
  }
);

const getGrantEvent = grantRouteEvent('GET', 'g-01m843kfrptg3pr4e1gg4019s1', 'alice');

describe('unexpected errors at the HTTP edge', () => {
  it('answer a generic 500 and keep the details in the log only', async () => {
    const { logger, lines } = capturingLogger();
    const deps = {
      config: await exampleConfig(),
      store: brokenStore,
      logger,
      directory: { groupsOf: async () => [] },
      authenticate: (event: HttpEvent) => event.requestContext.authorizer?.sandbox?.userId as string,
    } as unknown as HttpDeps;
    const handler = ROUTES.find((r) => r.name === 'getGrant')!.build(deps);
    const response = await handler(getGrantEvent, {} as never);
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'INTERNAL', message: 'the broker hit an unexpected error; it has been logged' },
    });
    expect(response.body).not.toContain('ECONNRESET');
    expect(lines.some((l) => l.includes('unexpected error') && l.includes('ECONNRESET'))).toBe(true);
  });
});
