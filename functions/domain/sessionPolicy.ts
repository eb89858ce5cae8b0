import { ValidationError } from './errors.js';
import type { ScopeConditions, TaskScope } from './grant.js';

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

/**
 * The STS session policy for a task: one Allow statement with the task's actions and resources
 * (sorted, de-duplicated) and its conditions, as compact JSON.
 *
 * @throws ValidationError `SESSION_POLICY_TOO_LARGE` when it exceeds {@link SESSION_POLICY_MAX_CHARS}.
 */
const renderSessionPolicy = (scope: TaskScope): string => {
  const conditions = scope.conditions === undefined ? {} : normalizeConditions(scope.conditions);
  const statement = {
    Sid: SESSION_STATEMENT_SID,
    Effect: 'Allow',
    Action: sortedUnique(scope.actions),
    Resource: sortedUnique(scope.resources),
    ...(Object.keys(conditions).length === 0 ? {} : { Condition: conditions }),
  };
  const policy = escapeNonAscii(JSON.stringify({ Version: '2012-10-17', Statement: [statement] }));
  if (policy.length > SESSION_POLICY_MAX_CHARS) {
    throw new ValidationError(
      'SESSION_POLICY_TOO_LARGE',
      `the session policy for this task would be ${policy.length} characters; STS accepts at most ` +
        `${SESSION_POLICY_MAX_CHARS}. Narrow the task: name fewer actions (a wildcard within the role's ceiling, ` +
        `such as s3:Get*, replaces many) or fewer resources (one ARN pattern such as arn:aws:s3:::bucket/prefix/*)`
    );
  }
  return policy;
};

export { renderSessionPolicy, SESSION_POLICY_MAX_CHARS, SESSION_STATEMENT_SID };
