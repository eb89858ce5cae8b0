import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/handlers/routes.js';

const spec = JSON.parse(readFileSync('docs/openapi.json', 'utf8'));
const documented = Object.entries(
  spec.paths as Record<string, Record<string, { operationId?: string; security?: unknown[] }>>
).flatMap(([path, item]) =>
  Object.entries(item)
    .filter(([method]) => ['get', 'post', 'put', 'delete', 'patch'].includes(method))
    .map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op }))
);

describe('docs/openapi.json', () => {
  it('documents exactly the routes in the route table', () => {
    expect(documented.map((d) => d.key).sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it.each(ROUTES.map((r) => [r.name, r] as const))('names %s by its route name and its auth', (_name, route) => {
    const doc = documented.find((d) => d.key === `${route.method} ${route.path}`);
    expect(doc?.op.operationId).toBe(route.name);
    const unauthenticated = Array.isArray(doc?.op.security) && doc.op.security.length === 0;
    expect(unauthenticated).toBe(route.auth === 'none');
    const byToken = JSON.stringify(doc?.op.security ?? []) === JSON.stringify([{ ciToken: [] }]);
    expect(byToken).toBe(route.auth === 'oidc');
  });
});
