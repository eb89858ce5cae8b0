import { describe, expect, it } from 'vitest';
import { compilePolicies } from '../../functions/policy/policySet.js';
import { policySchemaText } from '../../functions/policy/schema.js';

describe('compilePolicies: all files validated at once', () => {
  const first = {
    name: 'policies/a.cedar',
    text: '// Zugänge für Prüfer\n@id("a") @approvers("bob")\npermit (principal, action == Jit::Action::"request", resource);\n',
  };
  const second = {
    name: 'policies/b.cedar',
    text: '// second file\n@id("b") @approvers("bob")\npermit (principal, action == Jit::Action::"request", resource)\nwhen { context.tiket == "x" };\n',
  };

  it('names the file, line and policy of a schema error in a later file', () => {
    const { problems, policies } = compilePolicies([first, second], policySchemaText());
    expect(policies.map((p) => p.id)).toEqual(['a', 'b']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^policies\/b\.cedar:4:8: .*`b`.*tiket/);
  });

  it('keeps each policy in Cedar JSON form, for the engine', () => {
    const { policies } = compilePolicies([first], policySchemaText());
    expect(policies[0]?.json).toMatchObject({ effect: 'permit', action: { op: '==' } });
  });

  it('reports a broken schema alone, and returns no policies', () => {
    const { problems, policies } = compilePolicies([first, second], 'namespace Jit { entity User in [ }');
    expect(policies).toEqual([]);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((p) => p.startsWith('policy schema: '))).toBe(true);
  });
});
