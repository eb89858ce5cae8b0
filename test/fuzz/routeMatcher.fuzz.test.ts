import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/handlers/routes.js';
import { routeMatcher } from '../../sandbox/routeMatcher.js';
import { seeded } from './seeded.js';

const match = routeMatcher(ROUTES);
const withParams = ROUTES.filter((route) => route.path.includes('{'));

/** A percent-escape that does not decode: cut short, not hex, or bytes that are not UTF-8. */
const badEscape = fc.oneof(
  fc.constantFrom('%', '%A', '%G0', '%zz', '%%', '%C3%28', '%E0%A4%A', '%FF', '%80', '%ED%A0%80', '%F4%90%80%80'),
  fc.constantFrom(...'0123456789abcdefABCDEF').map((hex) => `%${hex}`)
);

/** Text without unpaired surrogates: what encodeURIComponent (and a client) can encode. */
const paramValue = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 });

describe('the route matcher (property)', () => {
  it('never throws, whatever the path', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('GET', 'POST', 'PUT', 'OPTIONS'),
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 60 }),
          fc
            .array(fc.oneof(fc.string({ maxLength: 8 }), badEscape), { maxLength: 6 })
            .map((parts) => `/${parts.join('/')}`)
        ),
        (method, path) => {
          const lookup = match(method, path);
          expect(lookup.found === undefined || ROUTES.includes(lookup.found.route)).toBe(true);
        }
      ),
      seeded(2000)
    );
  });

  it('gives every route its parameter back exactly as the client encoded it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...withParams), paramValue, (route, value) => {
        const path = route.path.replace(/\{\w+\}/, encodeURIComponent(value));
        const lookup = match(route.method, path);
        expect(lookup.found?.route).toBe(route);
        expect(Object.values(lookup.found?.params ?? {})).toEqual([value]);
      }),
      seeded(1000)
    );
  });

  it('reports a parameter with a broken escape as such, on every route that has one', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...withParams),
        fc.string({ maxLength: 6 }).map(encodeURIComponent),
        badEscape,
        // Starts with a character that is not hex, so it cannot complete the broken escape.
        fc.string({ maxLength: 6 }).map((text) => `-${encodeURIComponent(text)}`),
        (route, before, bad, after) => {
          const segment = `${before}${bad}${after}`;
          const lookup = match(route.method, route.path.replace(/\{\w+\}/, segment));
          expect(lookup).toEqual({ found: undefined, allowed: [], badEscape: segment });
        }
      ),
      seeded(1000)
    );
  });
});
