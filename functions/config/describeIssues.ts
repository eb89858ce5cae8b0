import type { z } from 'zod';

/** `roles[2].approval.required` — the path an operator or API caller can find in their JSON. */
const pathText = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${String(part)}` : String(part)),
    ''
  );

/** One readable line per problem, each naming where it is. */
const describeIssues = (issues: readonly z.core.$ZodIssue[]): string[] =>
  issues.map((issue) => {
    const where = pathText(issue.path);
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`
        : // A record key or element that fails: the rule that failed is in the nested issues.
          issue.code === 'invalid_key' || issue.code === 'invalid_element'
          ? issue.issues.map((inner) => inner.message).join('; ')
          : issue.message;
    return where === '' ? message : `${where}: ${message}`;
  });

export { describeIssues, pathText };
