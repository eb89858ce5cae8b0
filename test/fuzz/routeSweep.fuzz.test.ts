import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpEvent } from '../../functions/handlers/http/httpTypes.js';
import { MAX_BODY_BYTES } from '../../functions/handlers/http/parseRequest.js';
import { ROUTES, type Route } from '../../functions/handlers/routes.js';
import { grantRequest } from '../helpers/apiServer.js';
import { brokerOnFreshTable } from '../helpers/fixtures.js';
import { seeded } from './seeded.js';

/**
 * A generated bad-input sweep over every route of the route table, through the real middy handlers
 * on DynamoDB Local (in process; the HTTP-level sweep runs against the sandbox server). Every
 * request carries at least one defect, so every answer must be a 4xx `{error:{code,message}}` with
 * a bounded message, never a 5xx, and must leave the table exactly as it was.
 */
const MAX_MESSAGE = 1200;

const HOSTILE = ['\ud800', '\u001b[2J\u001b[HAPPROVED by security', '\u0000', '\u009b2J', '\u202e', '\u2066x\u2069'];
const hostile = fc.constantFrom(...HOSTILE);
const anyText = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), hostile);
/** Text with a hostile character somewhere in it. */
const taintedText = fc
  .tuple(fc.string({ maxLength: 20 }), hostile, fc.string({ maxLength: 20 }))
  .map(([a, bad, b]) => a + bad + b);

/** What a route's body would plausibly be, before a defect is put in. */
const PLAUSIBLE_BODY: Readonly<Record<string, unknown>> = {
  createGrant: grantRequest(),
  approveGrant: { comment: 'looks right' },
  denyGrant: { comment: 'not in prod' },
  cancelGrant: {},
  reviewGrant: { comment: 'incident INC-1' },
  vendCredentials: {},
  finishGrant: {},
  revokeGrant: { reason: 'left the team' },
  extendGrant: { durationSeconds: 900, reason: 'the backfill is slow' },
  ciCredentials: { template: 'service-deploy-staging', inputs: { service: 'orders' } },
  ciRevend: {},
  ciDone: {},
};

/** A defect in the request: each alone makes any route (but health) refuse it. */
type Defect =
  | { kind: 'anonymous' }
  | { kind: 'query'; key: string; value: string }
  | { kind: 'path'; value: string }
  | { kind: 'body'; text: string; contentType: string; base64: boolean };

/** The route's plausible body with a hostile character put inside one of its strings (keys included). */
const taintedBody = (route: Route) =>
  fc.tuple(hostile, fc.nat()).map(([bad, pick]) => {
    const text = JSON.stringify(PLAUSIBLE_BODY[route.name] ?? { comment: 'ok' });
    const quotes = [...text.matchAll(/"/g)].map((m) => m.index).filter((_, i) => i % 2 === 0);
    const at = (quotes[pick % quotes.length] as number) + 1;
    return text.slice(0, at) + JSON.stringify(bad).slice(1, -1) + text.slice(at);
  });

const jsonBodyDefect = fc.oneof(
  // malformed, duplicated, reserved, hostile or far too large
  fc.string({ maxLength: 60 }).map((s) => `{${s}`),
  fc.constantFrom(
    '{"comment":"a","comment":"b"}',
    '{"__proto__":{"x":1}}',
    '{"constructor":1}',
    '[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]',
    `{"comment":"${'x'.repeat(MAX_BODY_BYTES)}"}`,
    '{"unexpected":true}',
    'null',
    '42'
  ),
  taintedText.map((text) => JSON.stringify({ comment: text, reason: text })),
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }))
    .filter(([key]) => !['comment', 'reason', 'durationSeconds', 'template', 'inputs', 'role'].includes(key))
    .map(([key, value]) => JSON.stringify({ [key]: value }))
);

const defectFor = (route: Route): fc.Arbitrary<Defect> => {
  const defects: fc.Arbitrary<Defect>[] = [fc.constant({ kind: 'anonymous' } as const)];
  if (route.auth === 'iam') {
    defects.push(
      fc
        .record({ key: fc.oneof(fc.string({ maxLength: 10 }), hostile), value: anyText })
        .filter(
          ({ key }) => !['inbox', 'reviews', 'limit', 'cursor', 'lookup', 'from', 'to', 'reuseThreshold'].includes(key)
        )
        .map(({ key, value }) => ({ kind: 'query', key, value }) as const),
      fc
        .record({ key: fc.constantFrom('limit', 'cursor', 'from', 'lookup'), value: taintedText })
        .map(({ key, value }) => ({ kind: 'query', key, value }) as const)
    );
  }
  if (route.path.includes('{')) defects.push(anyText.map((value) => ({ kind: 'path', value }) as const));
  if (route.method === 'POST') {
    defects.push(
      fc
        .record({
          text: fc.oneof(jsonBodyDefect, taintedBody(route)),
          contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', ''),
          base64: fc.boolean(),
        })
        .map((body) => ({ kind: 'body', ...body }) as const)
    );
  }
  return fc.oneof(...defects);
};

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
        expect(answer.statusCode, `${what} → ${answer.body}`).toBeGreaterThanOrEqual(400);
        expect(answer.statusCode, `${what} → ${answer.body}`).toBeLessThan(500);
        const payload = JSON.parse(answer.body);
        expect(Object.keys(payload)).toEqual(['error']);
        expect(payload.error.code).toMatch(/^[A-Z][A-Z_]+$/);
        expect(payload.error.message.length).toBeGreaterThan(0);
        expect(payload.error.message.length).toBeLessThanOrEqual(MAX_MESSAGE);
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
