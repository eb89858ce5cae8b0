import type { core } from 'zod/mini';
import { displaySafe, quoteInputs } from '../domain/untrustedText.js';

/** A path segment from the input is shown, but never more than this much of it. */
const SEGMENT_CHARS = 80;

const segmentText = (part: PropertyKey): string => {
  const text = displaySafe(String(part));
  return text.length <= SEGMENT_CHARS ? text : `${text.slice(0, SEGMENT_CHARS - 1)}…`;
};

/** `roles[2].approval.required` — the path an operator or API caller can find in their JSON. */
const pathText = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (text, part) =>
      typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${segmentText(part)}` : segmentText(part),
    ''
  );

/** Whether `path` names a field its parent object does not have at all (as opposed to a wrong value). */
const isAbsent = (input: unknown, path: readonly PropertyKey[]): boolean => {
  let parent: unknown = input;
  for (const part of path.slice(0, -1)) {
    if (parent === null || typeof parent !== 'object') return false;
    parent = (parent as Record<PropertyKey, unknown>)[part];
  }
  const last = path.at(-1);
  return (
    last !== undefined &&
    parent !== null &&
    typeof parent === 'object' &&
    !Array.isArray(parent) &&
    !Object.hasOwn(parent, last)
  );
};

/**
 * One readable line per problem, each naming where it is. Given the `input` that was validated, a
 * field that is missing altogether reads "`role` is required" rather than as a type error. Keys
 * the input made up are echoed a few at a time and each cut short (untrustedText.ts).
 */
const describeIssues = (issues: readonly core.$ZodIssue[], input?: unknown): string[] =>
  issues.map((issue) => {
    const where = pathText(issue.path);
    if (input !== undefined && issue.code === 'invalid_type' && isAbsent(input, issue.path)) {
      return `\`${where}\` is required`;
    }
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${quoteInputs(issue.keys)}`
        : // A record key or element that fails: the rule that failed is in the nested issues.
          issue.code === 'invalid_key' || issue.code === 'invalid_element'
          ? issue.issues.map((inner) => inner.message).join('; ')
          : issue.message;
    return where === '' ? message : `${where}: ${message}`;
  });

export { describeIssues, pathText };
