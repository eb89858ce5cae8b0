import { PRINCIPAL_ENTRY } from '../config/patterns.js';
import { GROUP_PREFIX } from '../domain/caller.js';
import { formatDuration, parseDuration } from '../domain/duration.js';
import { MIN_GRANT_SECONDS } from '../domain/grant.js';
import { cedar, type DetailedError, type PolicyJson } from './cedar.js';
import { JIT } from './schema.js';
import { workloadIdentityProblems } from './workloadIdentity.js';

/** One policy file as read, named as an operator sees it (`policies/prod.cedar`). */
interface PolicyFile {
  readonly name: string;
  readonly text: string;
}

/** The approval rule and the explanation a policy carries in its annotations. */
interface PolicyRules {
  readonly approvers?: readonly string[];
  readonly approvals?: number;
  readonly pendingWindowSeconds?: number;
  readonly maxDurationSeconds?: number;
  /** Shown to the requester when this policy forbids (or is the permit that decided). */
  readonly reason?: string;
}

interface CompiledPolicy {
  /** From `@id("…")`: required, unique across all files; decisions and audit events name it. */
  readonly id: string;
  readonly file: string;
  readonly line: number;
  readonly effect: 'permit' | 'forbid';
  /** The policy's own source text, as Cedar gets it. */
  readonly text: string;
  /** Cedar's JSON form of the same policy: what the engine reads its scope and conditions from. */
  readonly json: PolicyJson;
  readonly rules: PolicyRules;
}

interface PolicySettings {
  /** IANA zone for `context.hourOfDay` and `context.weekday`. */
  readonly timeZone: string;
  /** How far back `context.elevationsInWindow` counts grants. */
  readonly elevationWindowDays: number;
}

/** The validated policies the broker decides with. */
interface BrokerPolicies {
  readonly policies: readonly CompiledPolicy[];
  readonly settings: PolicySettings;
  readonly schema: string;
}

/** What cross-checks need from the rest of the configuration. */
interface PolicyReferences {
  /** Undefined when the catalog itself is broken: its problems are reported, not every reference. */
  readonly roles?: ReadonlySet<string>;
  /** Undefined when groups come from IAM Identity Center: their names are only known at request time. */
  readonly groups?: ReadonlyMap<string, readonly string[]>;
}

const POLICY_ID = /^[A-Za-z0-9][\w.-]{0,63}$/;
const KNOWN_ANNOTATIONS = new Set([
  'id',
  'reason',
  'description',
  'approvers',
  'approvals',
  'pendingWindow',
  'maxDuration',
]);
const MAX_PENDING_SECONDS = 7 * 24 * 3600;
const MAX_DURATION_SECONDS = 12 * 3600;
const MAX_APPROVALS = 10;

/** `line:column` (1-based) of a UTF-8 byte offset, as Cedar reports positions. */
const positionAt = (text: string, byteOffset: number): string => {
  const before = Buffer.from(text, 'utf8').subarray(0, byteOffset).toString('utf8');
  const lines = before.split('\n');
  return `${lines.length}:${(lines.at(-1)?.length ?? 0) + 1}`;
};

const lineOfChar = (text: string, charOffset: number): number => text.slice(0, charOffset).split('\n').length;

/** Cedar's own prefix adds nothing for an operator; the label says what was expected. */
const describeCedarError = (error: DetailedError): string => {
  const message = error.message.replace(/^failed to parse policies from string: /, '');
  const label = error.sourceLocations?.[0]?.label;
  const help = error.help ? ` (${error.help})` : '';
  return `${message}${label ? `: ${label}` : ''}${help}`;
};

const durationAnnotation = (value: string, min: number, max: number): number => {
  const seconds = parseDuration(value);
  if (seconds < min || seconds > max) {
    throw new Error(`'${value}' is out of range: use ${formatDuration(min)} to ${formatDuration(max)}`);
  }
  return seconds;
};

/** Reads the approval annotations; throws a readable message for the first bad one. */
const rulesOf = (annotations: Readonly<Record<string, string>>): { rules: PolicyRules; problems: string[] } => {
  const problems: string[] = [];
  const rules: { -readonly [K in keyof PolicyRules]: PolicyRules[K] } = {};
  for (const [key, value] of Object.entries(annotations)) {
    try {
      switch (key) {
        case 'approvers': {
          const entries = value
            .split(',')
            .map((e) => e.trim())
            .filter((e) => e !== '');
          const bad = entries.filter((e) => !PRINCIPAL_ENTRY.test(e));
          if (entries.length === 0 || bad.length > 0) {
            throw new Error(`must list user ids or 'group:<name>' separated by commas (got '${value}')`);
          }
          rules.approvers = [...new Set(entries)];
          break;
        }
        case 'approvals': {
          const n = /^\d{1,2}$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
          if (!(n >= 1 && n <= MAX_APPROVALS)) throw new Error(`must be a whole number from 1 to ${MAX_APPROVALS}`);
          rules.approvals = n;
          break;
        }
        case 'pendingWindow':
          rules.pendingWindowSeconds = durationAnnotation(value, 300, MAX_PENDING_SECONDS);
          break;
        case 'maxDuration':
          rules.maxDurationSeconds = durationAnnotation(value, MIN_GRANT_SECONDS, MAX_DURATION_SECONDS);
          break;
        case 'reason':
          if (value.trim() === '') throw new Error('must say why, for the requester');
          rules.reason = value.trim();
          break;
        case 'id':
        case 'description':
          break;
        default:
          throw new Error(`unknown annotation (known: ${[...KNOWN_ANNOTATIONS].map((a) => `@${a}`).join(', ')})`);
      }
    } catch (error) {
      problems.push(`@${key}: ${(error as Error).message}`);
    }
  }
  return { rules, problems };
};

/** Every entity literal (`Jit::Role::"x"`) in a policy's JSON form. */
const entityLiterals = (node: unknown, found: { type: string; id: string }[] = []): { type: string; id: string }[] => {
  if (Array.isArray(node)) {
    for (const item of node) entityLiterals(item, found);
  } else if (node !== null && typeof node === 'object') {
    const record = node as Record<string, unknown>;
    if (typeof record.type === 'string' && typeof record.id === 'string') {
      found.push({ type: record.type, id: record.id });
    }
    for (const value of Object.values(record)) entityLiterals(value, found);
  }
  return found;
};

const referenceProblems = (policy: CompiledPolicy, json: unknown, refs: PolicyReferences): string[] => {
  const problems: string[] = [];
  for (const { type, id } of entityLiterals(json)) {
    if (type === JIT.role && refs.roles !== undefined && !refs.roles.has(id))
      problems.push(`role '${id}' is not in catalog.json`);
    if (type === JIT.group && refs.groups !== undefined && !refs.groups.has(id))
      problems.push(`group '${id}' is not defined in groups.json`);
  }
  const { groups } = refs;
  if (groups === undefined) return [...new Set(problems)];
  const approvers = policy.rules.approvers ?? [];
  for (const entry of approvers) {
    if (entry.startsWith(GROUP_PREFIX) && !groups.has(entry.slice(GROUP_PREFIX.length))) {
      problems.push(`@approvers: '${entry}' is not defined in groups.json`);
    }
  }
  const required = policy.rules.approvals ?? 1;
  if (approvers.length > 0) {
    const distinct = new Set(
      approvers.flatMap((e) => (e.startsWith(GROUP_PREFIX) ? (groups.get(e.slice(GROUP_PREFIX.length)) ?? []) : [e]))
    ).size;
    if (required > distinct) {
      problems.push(`@approvals: needs ${required} approvals but only ${distinct} distinct approver(s) can give one`);
    }
  }
  return [...new Set(problems)];
};

/** One policy file's policies: the file as read and each policy's JSON form, annotations and rules. */
const readPolicies = (
  file: PolicyFile,
  texts: readonly string[],
  seen: Map<string, string>,
  refs: PolicyReferences | undefined,
  problems: string[]
): CompiledPolicy[] => {
  const inFile: CompiledPolicy[] = [];
  let cursor = 0;
  for (const text of texts) {
    const charOffset = file.text.indexOf(text, cursor);
    cursor = charOffset >= 0 ? charOffset + text.length : cursor;
    const line = charOffset >= 0 ? lineOfChar(file.text, charOffset) : 1;
    const where = `${file.name}:${line}`;
    const json = cedar.policyToJson(text);
    if (json.type === 'failure') {
      problems.push(`${where}: ${json.errors.map(describeCedarError).join('; ')}`);
      continue;
    }
    const annotations = (json.json.annotations ?? {}) as Record<string, string>;
    const { rules, problems: annotationProblems } = rulesOf(annotations);
    problems.push(...annotationProblems.map((p) => `${where}: ${p}`));
    const named = annotations.id !== undefined && POLICY_ID.test(annotations.id);
    const id = named ? (annotations.id as string) : `${file.name}#${inFile.length}`;
    const policy: CompiledPolicy = {
      id,
      file: file.name,
      line,
      effect: json.json.effect,
      text,
      json: json.json,
      rules,
    };
    inFile.push(policy);
    if (!named) {
      problems.push(
        `${where}: every policy needs an @id("…") of letters, digits, _ . - (got ${annotations.id ?? 'none'})`
      );
      continue;
    }
    const earlier = seen.get(id);
    if (earlier !== undefined) problems.push(`${where}: @id("${id}") is already used at ${earlier}`);
    seen.set(id, where);
    if (refs !== undefined) problems.push(...referenceProblems(policy, json.json, refs).map((p) => `${where}: ${p}`));
    problems.push(...workloadIdentityProblems(json.json).map((p) => `${where}: policy \`${id}\` ${p}`));
  }
  return inFile;
};

/**
 * Validates every file's policies against the schema in one Cedar call (the schema is parsed once:
 * it is the costly part at a cold start). The files are joined, so Cedar's offsets and its
 * `policyN` ids are mapped back to the file and policy they fall in.
 */
const validationProblems = (
  parsed: readonly { file: PolicyFile; policies: readonly CompiledPolicy[] }[],
  schema: string
): { schemaBroken: boolean; problems: string[] } => {
  const separator = '\n';
  let byteStart = 0;
  let firstPolicy = 0;
  const spans = parsed.map(({ file, policies }) => {
    const span = { file, policies, byteStart, firstPolicy };
    byteStart += Buffer.byteLength(file.text, 'utf8') + Buffer.byteLength(separator, 'utf8');
    firstPolicy += policies.length;
    return span;
  });
  const joined = parsed.map(({ file }) => file.text).join(separator);
  const answer = cedar.validate({ schema, policies: { staticPolicies: joined } });
  // The files parsed one by one, so a failure here is the schema's.
  if (answer.type === 'failure') {
    return { schemaBroken: true, problems: answer.errors.map((e) => `policy schema: ${describeCedarError(e)}`) };
  }
  const problems = answer.validationErrors.map(({ policyId, error }) => {
    const index = Number(/^policy(\d+)$/.exec(policyId)?.[1] ?? Number.NaN);
    const span = spans.findLast((s) => s.firstPolicy <= index) ?? spans[0];
    const policy = span?.policies[index - (span?.firstPolicy ?? 0)];
    const at = error.sourceLocations?.[0];
    const position = at && span ? positionAt(span.file.text, at.start - span.byteStart) : `${policy?.line ?? 1}:1`;
    const message = describeCedarError(error).replace(`policy \`${policyId}\``, `policy \`${policy?.id ?? policyId}\``);
    return `${span?.file.name ?? 'policies/'}:${position}: ${message}`;
  });
  return { schemaBroken: false, problems };
};

/**
 * Parses and validates policy files against the schema (strict mode), reads their annotations and
 * checks their references. Every problem names its file and line (`policies/prod.cedar:12:5: …`).
 */
const compilePolicies = (
  files: readonly PolicyFile[],
  schema: string,
  refs?: PolicyReferences
): { policies: CompiledPolicy[]; problems: string[] } => {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const parsed: { file: PolicyFile; policies: CompiledPolicy[] }[] = [];
  for (const file of files) {
    const parts = cedar.policySetTextToParts(file.text);
    if (parts.type === 'failure') {
      for (const error of parts.errors) {
        const at = error.sourceLocations?.[0];
        problems.push(`${file.name}${at ? `:${positionAt(file.text, at.start)}` : ''}: ${describeCedarError(error)}`);
      }
      continue;
    }
    if (parts.policy_templates.length > 0) {
      problems.push(`${file.name}: policy templates (?principal, ?resource) are not supported`);
    }
    parsed.push({ file, policies: readPolicies(file, parts.policies, seen, refs, problems) });
  }
  const validation = validationProblems(parsed, schema);
  if (validation.schemaBroken) return { policies: [], problems: validation.problems };
  problems.push(...validation.problems);
  const policies = parsed.flatMap((p) => p.policies);
  if (files.length > 0 && policies.length === 0 && problems.length === 0) {
    problems.push('policies/: the policy files hold no policies, so every request would be denied');
  }
  return { policies, problems };
};

export type { BrokerPolicies, CompiledPolicy, PolicyFile, PolicyReferences, PolicyRules, PolicySettings };
export { compilePolicies, positionAt };
