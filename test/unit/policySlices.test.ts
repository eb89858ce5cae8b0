import { describe, expect, it } from 'vitest';
import { cedar, type PolicyJson } from '../../functions/policy/cedar.js';
import {
  appliesTo,
  canReadContext,
  entityKey,
  principalMeets,
  principalTestOf,
  probeOf,
  readsOf,
  scopeOf,
} from '../../functions/policy/policySlices.js';
import { policySchemaText } from '../../functions/policy/schema.js';

const json = (text: string): PolicyJson => {
  const answer = cedar.policyToJson(text);
  if (answer.type === 'failure') throw new Error(answer.errors.map((e) => e.message).join('; '));
  return answer.json;
};

const when = (condition: string, scope = 'principal, action, resource') =>
  json(`permit (${scope}) when { ${condition} };`);

const group = (id: string) => entityKey({ type: 'Jit::Group', id });

describe('canReadContext: whether a question can see a context attribute', () => {
  const limit = (scope: string) => when('context.elevationsInWindow >= 3', scope);
  const request = (role: string) => ({ actions: ['request', 'breakGlass', 'autoApprove'], role });

  it('sees it through a policy on that role, and not through one on another role', () => {
    const policies = [limit('principal, action == Jit::Action::"request", resource == Jit::Role::"prod-admin"')];
    expect(canReadContext(policies, 'elevationsInWindow', request('prod-admin'))).toBe(true);
    expect(canReadContext(policies, 'elevationsInWindow', request('prod-read'))).toBe(false);
  });

  it('sees it through a policy that names no one role, or any action', () => {
    expect(canReadContext([limit('principal, action, resource')], 'elevationsInWindow', request('x'))).toBe(true);
    const inAccount = limit('principal, action == Jit::Action::"request", resource in Jit::Account::"111122223333"');
    expect(canReadContext([inAccount], 'elevationsInWindow', request('x'))).toBe(true);
  });

  it('does not see it through a policy of another action, or one that reads other attributes', () => {
    const approve = limit('principal, action == Jit::Action::"approve", resource');
    const ticket = when('context.ticket like "INC-*"');
    expect(canReadContext([approve, ticket], 'elevationsInWindow', request('prod-admin'))).toBe(false);
  });

  it('errs towards yes: the name anywhere in the conditions of a policy that can apply counts', () => {
    const named = when('context.ticket == "elevationsInWindow"', 'principal, action, resource');
    expect(canReadContext([named], 'elevationsInWindow', request('prod-read'))).toBe(true);
  });

  it('sees every attribute through a policy that uses the context record as a whole', () => {
    expect(canReadContext([when('context == {}')], 'elevationsInWindow', request('prod-read'))).toBe(true);
  });
});

describe('scopeOf: which actions and role a policy can match', () => {
  it.each([
    ['action == Jit::Action::"request"', ['request']],
    ['action in [Jit::Action::"request", Jit::Action::"breakGlass"]', ['request', 'breakGlass']],
    ['action in Jit::Action::"approve"', ['approve']],
  ])('reads %s', (action, actions) => {
    const scope = scopeOf(json(`permit (principal, ${action}, resource);`));
    expect(scope.actions === 'any' ? 'any' : [...scope.actions]).toEqual(actions);
  });

  it('matches any action and any role when unconstrained', () => {
    const scope = scopeOf(json('permit (principal, action, resource);'));
    expect(appliesTo(scope, 'ciDeploy', 'whatever')).toBe(true);
  });

  it('narrows by role only for resource == Jit::Role', () => {
    const exact = scopeOf(json('permit (principal, action, resource == Jit::Role::"prod-read");'));
    expect([appliesTo(exact, 'request', 'prod-read'), appliesTo(exact, 'request', 'prod-admin')]).toEqual([
      true,
      false,
    ]);
    for (const resource of ['resource in Jit::Account::"1"', 'resource is Jit::Role']) {
      expect(scopeOf(json(`permit (principal, action, ${resource});`)).role).toBe('any');
    }
  });
});

describe('readsOf: what a policy can observe', () => {
  it('lists the context attributes read by . and has, nested paths by their first step', () => {
    const reads = readsOf(when('context.ticket like "INC-*" && context has reason && context has outer.inner'));
    expect([...(reads.context as Set<string>)].sort()).toEqual(['outer', 'reason', 'ticket']);
  });

  it('says all when the context record is used another way', () => {
    expect(readsOf(when('context == {}')).context).toBe('all');
  });

  it('lists attribute names read from entities, not from the context', () => {
    const reads = readsOf(when('resource.privileged && principal has nickname && context.ticket == ""'));
    expect([...reads.attributes].sort()).toEqual(['nickname', 'privileged']);
  });

  it('names the entities in asks about, from the resource scope and the conditions', () => {
    const reads = readsOf(
      when(
        'principal in [Jit::Group::"a", Jit::Group::"b"]',
        'principal in Jit::Group::"sre", action, resource in Jit::Account::"1"'
      )
    );
    // The principal's own constraint is decided by the engine (principalTestOf), not asked of Cedar.
    expect([...(reads.ancestors as Set<string>)].sort()).toEqual(
      [group('a'), group('b'), entityKey({ type: 'Jit::Account', id: '1' })].sort()
    );
  });

  it('says all ancestors when an in asks about a computed entity', () => {
    expect(readsOf(when('principal in context.requesterGroups')).ancestors).toBe('all');
    expect(readsOf(when('principal is Jit::User in context.requester')).ancestors).toBe('all');
  });

  it('asks about no ancestors without in', () => {
    expect(readsOf(when('context.scopeWidth < 3')).ancestors).toEqual(new Set());
  });

  it('notices the action variable in the conditions', () => {
    expect(readsOf(when('action == Jit::Action::"request"')).action).toBe(true);
    expect(readsOf(when('context.ticket == "action"')).action).toBe(false);
  });
});

describe('principalTestOf: the principal constraint, decided by the engine', () => {
  const bob = {
    type: 'Jit::User',
    key: entityKey({ type: 'Jit::User', id: 'bob' }),
    parents: new Set([group('sre')]),
  };
  it.each([
    ['principal', true],
    ['principal == Jit::User::"bob"', true],
    ['principal == Jit::User::"bo"', false],
    ['principal in Jit::Group::"sre"', true],
    ['principal in Jit::Group::"security"', false],
    ['principal in Jit::User::"bob"', true],
    ['principal is Jit::User', true],
    ['principal is Jit::Workload', false],
    ['principal is Jit::User in Jit::Group::"sre"', true],
    ['principal is Jit::Workload in Jit::Group::"sre"', false],
  ])('%s: %s for bob in sre', (principal, expected) => {
    const test = principalTestOf(json(`permit (${principal}, action, resource);`));
    expect(principalMeets(test, bob)).toBe(expected);
  });

  it('drops a met principal constraint from the probe', () => {
    const policy = json('permit (principal in Jit::Group::"sre", action, resource);');
    expect(probeOf(policy, { principalMet: true }).principal).toEqual({ op: 'All' });
    expect(probeOf(policy).principal).toEqual(policy.principal);
  });
});

describe('probeOf: the policy as a permit for any action', () => {
  it('keeps principal, resource and conditions, drops effect, action and annotations', () => {
    const policy = json(
      '@id("x") forbid (principal in Jit::Group::"sre", action == Jit::Action::"request", resource == Jit::Role::"r") when { context.scopeWidth > 1 };'
    );
    expect(probeOf(policy)).toEqual({ ...policy, effect: 'permit', action: { op: 'All' }, annotations: undefined });
  });

  it('writes the asked action in for the action variable, also inside record literals', () => {
    const probe = probeOf(
      when('action == Jit::Action::"request" && {"Value": action} == {"Value": Jit::Action::"request"}'),
      { action: 'request' }
    );
    expect(JSON.stringify(probe)).not.toContain('"Var":"action"');
    const text = cedar.policyToText(probe);
    expect(text.type).toBe('success');
  });
});

describe('the schema, as the engine relies on it', () => {
  it('declares no action groups, so `action in A` means `action == A`', () => {
    const answer = cedar.schemaToJson(policySchemaText());
    if (answer.type === 'failure') throw new Error('schema does not parse');
    const actions = Object.values(answer.json).flatMap((ns) => Object.values(ns.actions ?? {}));
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => (a.memberOf ?? []).length > 0)).toEqual([]);
  });
});
