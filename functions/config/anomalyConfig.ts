import * as z from 'zod/mini';
import type { AnomalyConfig, AnomalyRule } from '../domain/anomaly.js';
import { ANOMALY_FILE } from './brokerConfig.js';
import { describeIssues, pathText } from './describeIssues.js';
import { duration } from './duration.js';
import { jsonValueLines, syntaxErrorLine } from './jsonLines.js';
import { ROLE_ID } from './patterns.js';
import './zodMessages.js';

const RULE_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
/** Windows shorter than a minute say little (CloudTrail batches deliveries); longer than a day is a report's job. */
const MIN_WINDOW_SECONDS = 60;
const MAX_WINDOW_SECONDS = 24 * 3600;
const MAX_THRESHOLD = 10_000;
const EVERY_ROLE = '*';

const ruleFields = {
  id: z.string().check(z.regex(RULE_ID, 'must be lowercase letters, digits and dashes (2-63)')),
  roles: z
    .array(z.string().check(z.refine((r) => r === EVERY_ROLE || ROLE_ID.test(r), "must be a catalog role id or '*'")))
    .check(z.minLength(1, "name the catalog roles the rule watches, or '*' for all")),
  response: z.enum(['revoke', 'flag'], "must be 'revoke' or 'flag'"),
};

const anomalyFileSchema = z.strictObject({
  schemaVersion: z.literal(1, 'this broker reads anomaly schemaVersion 1'),
  rules: z.array(
    z.discriminatedUnion(
      'trigger',
      [
        z.strictObject({
          ...ruleFields,
          trigger: z.literal('refused-calls'),
          threshold: z.number().check(z.int(), z.gte(1), z.lte(MAX_THRESHOLD)),
          window: duration(MIN_WINDOW_SECONDS, MAX_WINDOW_SECONDS),
        }),
        z.strictObject({ ...ruleFields, trigger: z.literal('used-after-end') }),
      ],
      { error: "trigger must be 'refused-calls' or 'used-after-end'" }
    )
  ),
});

type AnomalyFile = z.output<typeof anomalyFileSchema>;

const toRule = (rule: AnomalyFile['rules'][number]): AnomalyRule =>
  rule.trigger === 'refused-calls'
    ? {
        id: rule.id,
        roles: rule.roles,
        response: rule.response,
        trigger: rule.trigger,
        threshold: rule.threshold,
        windowSeconds: rule.window,
      }
    : { id: rule.id, roles: rule.roles, response: rule.response, trigger: rule.trigger };

/** Rule ids used twice, and roles the catalog does not have (when the catalog could be read). */
const referenceProblems = (
  file: AnomalyFile,
  roles: ReadonlySet<string> | undefined
): { path: string; message: string }[] => {
  const problems: { path: string; message: string }[] = [];
  const seen = new Set<string>();
  file.rules.forEach((rule, index) => {
    if (seen.has(rule.id))
      problems.push({ path: `rules[${index}].id`, message: `'${rule.id}' is used by another rule` });
    seen.add(rule.id);
    rule.roles.forEach((role, j) => {
      if (roles !== undefined && role !== EVERY_ROLE && !roles.has(role)) {
        problems.push({ path: `rules[${index}].roles[${j}]`, message: `'${role}' is not a role in the catalog` });
      }
    });
  });
  return problems;
};

/**
 * anomaly.json, checked on its own and against the catalog's role ids. Every problem names the file
 * and line (`anomaly.json:7: rules[1].window: …`). Undefined when the text is broken.
 */
const parseAnomalyConfig = (
  text: string,
  roles: ReadonlySet<string> | undefined,
  problems: string[]
): AnomalyConfig | undefined => {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const syntax = error as SyntaxError;
    problems.push(`${ANOMALY_FILE}:${syntaxErrorLine(text, syntax)}: is not valid JSON (${syntax.message})`);
    return undefined;
  }
  const lines = jsonValueLines(text);
  /** In the order of the file, each as `anomaly.json:<line>: <path>: <what to fix>`. */
  const report = (found: readonly { path: string; text: string }[]) =>
    problems.push(
      ...found
        .map((p) => ({ line: lines.get(p.path) ?? 1, text: p.text }))
        .sort((a, b) => a.line - b.line)
        .map((p) => `${ANOMALY_FILE}:${p.line}: ${p.text}`)
    );
  const result = anomalyFileSchema.safeParse(document);
  if (!result.success) {
    report(
      result.error.issues.map((issue) => ({
        path: pathText(issue.path),
        text: describeIssues([issue])[0] ?? issue.message,
      }))
    );
    return undefined;
  }
  const references = referenceProblems(result.data, roles);
  report(references.map((p) => ({ path: p.path, text: `${p.path}: ${p.message}` })));
  return references.length > 0 ? undefined : { rules: result.data.rules.map(toRule) };
};

export { parseAnomalyConfig };
