import { ValidationError } from './errors.js';
import type { ScopeConditions, TaskScope } from './grant.js';
import { type SessionGuards, sessionGuards } from './sessionGuards.js';

/**
 * STS rejects an inline session policy longer than this (plaintext). The SDK no longer checks it,
 * so the broker does, at request time, where the requester can still narrow the task.
 */
const SESSION_POLICY_MAX_CHARS = 2048;

/** The statement id vended sessions carry, so CloudTrail readers and tests can find it. */
const SESSION_STATEMENT_SID = 'JitTask';

/** Code-unit order, not localeCompare: the same scope must render the same bytes on every host. */
const sortedUnique = (values: readonly string[]): string[] =>
  [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

const sortedEntries = <T>(record: Readonly<Record<string, T>>): [string, T][] =>
  Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** Operators and keys in sorted order, value lists sorted; operators without keys are dropped. */
const normalizeConditions = (conditions: ScopeConditions): Record<string, Record<string, string | string[]>> => {
  const operators = sortedEntries(conditions)
    .map(([operator, keys]) => {
      const values = sortedEntries(keys).map(([key, value]) => [
        key,
        typeof value === 'string' ? value : sortedUnique(value),
      ]);
      return [operator, Object.fromEntries(values)] as const;
    })
    .filter(([, keys]) => Object.keys(keys).length > 0);
  return Object.fromEntries(operators);
};

/**
 * STS only accepts U+0009, U+000A, U+000D and U+0020–U+00FF in a policy; escaping everything
 * outside ASCII keeps any resource or condition value within that set with the same meaning.
 */
const escapeNonAscii = (json: string): string =>
  json.replace(/[^\x20-\x7e]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);

const policyText = (statements: readonly unknown[]): string =>
  escapeNonAscii(JSON.stringify({ Version: '2012-10-17', Statement: statements }));

const tooLarge = (policy: string, allowOnly: string, guards: SessionGuards): ValidationError => {
  const guardChars = policy.length - allowOnly.length;
  const guardNote =
    guardChars === 0
      ? ''
      : ` (${guardChars} of them are the guards that keep access from outliving the grant, there because ` +
        `${guards.reachedThrough.map((p) => `'${p}'`).join(', ')} reach ${guards.denied.slice(0, 3).join(', ')}` +
        `${guards.denied.length > 3 ? ' and more' : ''}: see docs/vending.md)`;
  const narrowWildcards =
    guardChars === 0
      ? ''
      : ', name the services the task needs instead of broad wildcards (the guards shrink with them),';
  return new ValidationError(
    'SESSION_POLICY_TOO_LARGE',
    `the session policy for this task would be ${policy.length} characters${guardNote}; STS accepts at most ` +
      `${SESSION_POLICY_MAX_CHARS}. Narrow the task: name fewer actions (a wildcard within the role's ceiling, ` +
      `such as s3:Get*, replaces many)${narrowWildcards} or fewer resources (one ARN pattern such as ` +
      `arn:aws:s3:::bucket/prefix/*)`
  );
};

/**
 * The STS session policy for a task: one Allow statement with the task's actions and resources
 * (sorted, de-duplicated) and its conditions, then the guards (sessionGuards.ts), as compact JSON.
 * `guards` default to those for the scope's own actions, so no caller gets a policy without them.
 *
 * @throws ValidationError `SESSION_POLICY_TOO_LARGE` when it exceeds {@link SESSION_POLICY_MAX_CHARS},
 *   saying how much of it the guards take.
 */
const renderSessionPolicy = (
  scope: TaskScope,
  guards: SessionGuards = sessionGuards(scope.actions, scope.actions)
): string => {
  const conditions = scope.conditions === undefined ? {} : normalizeConditions(scope.conditions);
  const statement = {
    Sid: SESSION_STATEMENT_SID,
    Effect: 'Allow',
    Action: sortedUnique(scope.actions),
    Resource: sortedUnique(scope.resources),
    ...(Object.keys(conditions).length === 0 ? {} : { Condition: conditions }),
  };
  const policy = policyText([statement, ...guards.statements]);
  if (policy.length > SESSION_POLICY_MAX_CHARS) throw tooLarge(policy, policyText([statement]), guards);
  return policy;
};

/**
 * The policy to vend for a stored one: as stored, unless it was rendered before session policies
 * carried guards and its task reaches guarded actions — then with the guards added. That only
 * narrows what the approvers approved, and no session is vended without its guards.
 *
 * @throws ValidationError `SESSION_POLICY_TOO_LARGE` when the guards do not fit beside the task.
 */
const withGuards = (stored: string, requested: readonly string[]): string => {
  if (stored.includes('"Sid":"JitGuard')) return stored;
  const statements = (JSON.parse(stored) as { Statement?: { Sid?: string; Action?: string[] }[] }).Statement ?? [];
  const task = statements.find((statement) => statement.Sid === SESSION_STATEMENT_SID);
  if (task === undefined) return stored;
  const guards = sessionGuards(task.Action ?? [], requested);
  if (guards.statements.length === 0) return stored;
  const policy = policyText([...statements, ...guards.statements]);
  if (policy.length > SESSION_POLICY_MAX_CHARS) throw tooLarge(policy, stored, guards);
  return policy;
};

export { renderSessionPolicy, SESSION_POLICY_MAX_CHARS, SESSION_STATEMENT_SID, withGuards };
