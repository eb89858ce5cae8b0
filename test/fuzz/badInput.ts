import fc from 'fast-check';
import { expect } from 'vitest';
import { MAX_BODY_BYTES } from '../../functions/handlers/http/parseRequest.js';
import type { Route } from '../../functions/handlers/routes.js';
import { grantRequest } from '../helpers/apiServer.js';

/**
 * Bad input for every route, shared by the in-process sweep (routeSweep) and the one over real
 * HTTP against the sandbox process (sandboxHttp): each generated request carries at least one
 * defect, so every answer must be a proper refusal.
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

/** What every refusal must look like: a 4xx `{error:{code,message}}` (and nothing else) with a bounded message. */
const expectProperRefusal = (what: string, status: number | undefined, body: string): void => {
  expect(status, `${what} → ${body}`).toBeGreaterThanOrEqual(400);
  expect(status, `${what} → ${body}`).toBeLessThan(500);
  const payload = JSON.parse(body);
  expect(Object.keys(payload)).toEqual(['error']);
  expect(payload.error.code).toMatch(/^[A-Z][A-Z_]+$/);
  expect(payload.error.message.length).toBeGreaterThan(0);
  expect(payload.error.message.length).toBeLessThanOrEqual(MAX_MESSAGE);
};

export type { Defect };
export { defectFor, expectProperRefusal, HOSTILE, PLAUSIBLE_BODY };
