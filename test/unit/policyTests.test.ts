import { describe, expect, it } from 'vitest';
import { runPolicyTests } from '../../functions/policy/runPolicyTests.js';

/** Every case in config/policy-tests/*.json, one test each (also: tsx functions/policy/runPolicyTests.ts). */
const results = await runPolicyTests('config');

describe('config/policy-tests', () => {
  it('has cases for the example policies', () => {
    expect(results.length).toBeGreaterThanOrEqual(15);
  });

  it.each(results.map((r) => [`${r.file} › ${r.name}`, r] as const))('%s', (_name, result) => {
    expect(result.failures).toEqual([]);
  });
});
