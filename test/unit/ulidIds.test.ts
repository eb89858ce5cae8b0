import { describe, expect, it } from 'vitest';
import { ulidIds } from '../../functions/adapters/ulidIds.js';
import { grantIdParam } from '../../functions/handlers/schemas.js';

const GRANT_ID = /^g-[0-9a-hjkmnp-tv-z]{26}$/;

describe('ulidIds', () => {
  it('makes ids in lower-case Crockford base32 behind a g- prefix', () => {
    const ids = ulidIds();
    for (let i = 0; i < 200; i++) {
      const id = ids.grantId();
      expect(id).toMatch(GRANT_ID);
      expect(id).toMatch(grantIdParam);
    }
  });

  it('makes 1000 distinct ids even at one fixed instant', () => {
    const ids = ulidIds(() => Date.parse('2026-11-23T09:00:00.000Z'));
    const drawn = new Set(Array.from({ length: 1000 }, () => ids.grantId()));
    expect(drawn.size).toBe(1000);
  });

  it('encodes the injected time in the first ten characters', () => {
    const time = Date.parse('2026-11-23T09:00:00.000Z');
    const a = ulidIds(() => time).grantId();
    const b = ulidIds(() => time).grantId();
    expect(a.slice(0, 12)).toBe(b.slice(0, 12));
    expect(a.slice(12)).not.toBe(b.slice(12));
  });

  it.each([
    [0, 'g-0000000000'],
    [1, 'g-0000000001'],
    [31, 'g-000000000z'],
    [32, 'g-0000000010'],
    [2 ** 48 - 1, 'g-7zzzzzzzzz'],
  ])('encodes time %i as %s', (time, prefix) => {
    expect(
      ulidIds(() => time)
        .grantId()
        .slice(0, 12)
    ).toBe(prefix);
  });

  it('sorts ids by the injected time', () => {
    const times = [
      0,
      1,
      31,
      32,
      1_000,
      Date.parse('2026-01-01T00:00:00.000Z'),
      Date.parse('2026-11-23T09:00:00.000Z'),
      Date.parse('2026-11-23T09:00:00.001Z'),
      Date.parse('2099-12-31T23:59:59.999Z'),
    ];
    let now = 0;
    const ids = ulidIds(() => now);
    const drawn = times.map((t) => {
      now = t;
      return ids.grantId();
    });
    expect([...drawn].reverse().sort()).toEqual(drawn);
  });
});
