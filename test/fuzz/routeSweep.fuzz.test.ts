import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpEvent } from '../../functions/handlers/http/httpTypes.js';
import { ROUTES } from '../../functions/handlers/routes.js';
import { grantRequest } from '../helpers/apiServer.js';
import { brokerOnFreshTable } from '../helpers/fixtures.js';
import { defectFor, expectProperRefusal, PLAUSIBLE_BODY } from './badInput.js';
import { seeded } from './seeded.js';

/**
 * A generated bad-input sweep over every route of the route table, through the real middy handlers
 * on DynamoDB Local, in process (sandboxHttp.fuzz.test.ts sends the same over HTTP to the sandbox
 * process). Every request carries at least one defect (badInput.ts), so every answer must be a 4xx
 * `{error:{code,message}}` with a bounded message, never a 5xx, and must leave the table exactly as it was.
 */
describe('every route refuses bad input with a 4xx and stores nothing (generated sweep, DynamoDB Local)', () => {
  let broker: Awaited<ReturnType<typeof brokerOnFreshTable>>;
  let grantIds: string[];

  beforeAll(async () => {
    broker = await brokerOnFreshTable();
    const handler = ROUTES.find((r) => r.name === 'createGrant')?.build(broker.deps);
    grantIds = [];
    for (const role of ['prod-read', 'staging-deploy']) {
      const answer = await handler?.(eventFor('/grants', 'alice', JSON.stringify(grantRequest({ role }))), {} as never);
      grantIds.push(JSON.parse(answer?.body ?? '{}').id);
    }
  });
  afterAll(async () => {
    await broker.dispose();
  });

  /** An API Gateway v2 event as the sandbox server builds one. */
  function eventFor(
    path: string,
    user: string | undefined,
    body?: string,
    extra: Partial<HttpEvent> & { contentType?: string } = {}
  ): HttpEvent {
    const { contentType = 'application/json', ...rest } = extra;
    return {
      version: '2.0',
      routeKey: path,
      rawPath: path,
      rawQueryString: '',
      headers: { 'content-type': contentType, authorization: 'Bearer not.a.token' },
      isBase64Encoded: false,
      ...(body === undefined ? {} : { body }),
      requestContext: { authorizer: user === undefined ? {} : { sandbox: { userId: user } } },
      ...rest,
    } as unknown as HttpEvent;
  }

  it('answers every defective request to every route with a proper 4xx', async () => {
    const handlers = new Map(ROUTES.map((route) => [route.name, route.build(broker.deps)]));
    const cases = fc.constantFrom(...ROUTES.filter((route) => route.name !== 'health')).chain((route) =>
      fc.record({
        route: fc.constant(route),
        user: fc.constantFrom('alice', 'bob', 'dave', 'carol'),
        id: fc.oneof(fc.constantFrom(...grantIds), fc.constant('g-00000000000000000000000000')),
        kind: fc.constantFrom('summary', 'reuse', 'exceptions'),
        defect: defectFor(route),
      })
    );
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(cases, async ({ route, user, id, kind, defect }) => {
        const param = defect.kind === 'path' ? defect.value : route.path.includes('{kind}') ? kind : id;
        const body =
          defect.kind === 'body'
            ? defect.base64
              ? Buffer.from(defect.text).toString('base64')
              : defect.text
            : JSON.stringify(PLAUSIBLE_BODY[route.name] ?? {});
        const event = eventFor(
          route.path,
          defect.kind === 'anonymous' ? undefined : user,
          route.method === 'POST' ? body : undefined,
          {
            ...(defect.kind === 'body' ? { contentType: defect.contentType, isBase64Encoded: defect.base64 } : {}),
            ...(defect.kind === 'query' ? { queryStringParameters: { [defect.key]: defect.value } } : {}),
            pathParameters: route.path.includes('{kind}')
              ? { kind: param }
              : route.path.includes('{id}')
                ? { id: param }
                : {},
          }
        );
        const before = await broker.itemCount();
        const answer = await (handlers.get(route.name) as NonNullable<ReturnType<typeof handlers.get>>)(
          event,
          {} as never
        );
        const what = `${route.method} ${route.path} with ${JSON.stringify(defect).slice(0, 200)}`;
        expectProperRefusal(what, answer.statusCode, answer.body);
        expect(await broker.itemCount(), `${what} stored something`).toBe(before);
        seen.set(route.name, (seen.get(route.name) ?? 0) + 1);
      }),
      seeded(150)
    );
    // Every route but health was swept.
    expect([...seen.keys()].sort()).toEqual(
      ROUTES.filter((r) => r.name !== 'health')
        .map((r) => r.name)
        .sort()
    );
  });
});
