import { isIPv4, isIPv6 } from 'node:net';
import type { ScopeConditions } from './grant.js';
import { quoteInput } from './untrustedText.js';

/**
 * The IAM condition operators a task may add to its session policy, and what their values must
 * look like (docs/request-validation.md cites the IAM reference for each). Any condition in an
 * Allow statement can only narrow it, so every operator is safe to offer; what is checked here is
 * that the condition means what the requester thinks, because a value IAM cannot read makes the
 * condition never match (or, for a negated operator, always match) without any error.
 */
type Family = 'String' | 'Numeric' | 'Date' | 'Bool' | 'Binary' | 'IpAddress' | 'Arn' | 'Null';

const FAMILY_OF: Readonly<Record<string, Family>> = Object.freeze({
  StringEquals: 'String',
  StringNotEquals: 'String',
  StringEqualsIgnoreCase: 'String',
  StringNotEqualsIgnoreCase: 'String',
  StringLike: 'String',
  StringNotLike: 'String',
  NumericEquals: 'Numeric',
  NumericNotEquals: 'Numeric',
  NumericLessThan: 'Numeric',
  NumericLessThanEquals: 'Numeric',
  NumericGreaterThan: 'Numeric',
  NumericGreaterThanEquals: 'Numeric',
  DateEquals: 'Date',
  DateNotEquals: 'Date',
  DateLessThan: 'Date',
  DateLessThanEquals: 'Date',
  DateGreaterThan: 'Date',
  DateGreaterThanEquals: 'Date',
  Bool: 'Bool',
  BinaryEquals: 'Binary',
  IpAddress: 'IpAddress',
  NotIpAddress: 'IpAddress',
  ArnEquals: 'Arn',
  ArnLike: 'Arn',
  ArnNotEquals: 'Arn',
  ArnNotLike: 'Arn',
  Null: 'Null',
});

const OPERATOR = /^(?:(ForAnyValue|ForAllValues):)?([A-Za-z]+?)(IfExists)?$/;

interface Operator {
  readonly family: Family;
  readonly ifExists: boolean;
  readonly set?: 'ForAnyValue' | 'ForAllValues';
}

/** `ForAnyValue:StringLikeIfExists` → String, with both qualifiers; undefined if IAM has no such operator. */
const parseOperator = (name: string): Operator | undefined => {
  const match = OPERATOR.exec(name);
  const base = match?.[2];
  if (match === null || base === undefined || !Object.hasOwn(FAMILY_OF, base)) return undefined;
  const family = FAMILY_OF[base] as Family;
  const ifExists = match[3] !== undefined;
  const set = match[1] as Operator['set'];
  // IAM: "…IfExists to the end of any condition operator name except the Null condition".
  if (family === 'Null' && (ifExists || set !== undefined)) return undefined;
  return { family, ifExists, ...(set === undefined ? {} : { set }) };
};

const IP_RANGE = /^([^/]+)(?:\/(\d{1,3}))?$/;
const isIpOrCidr = (value: string): boolean => {
  const match = IP_RANGE.exec(value);
  const address = match?.[1] ?? '';
  const bits = match?.[2] === undefined ? undefined : Number(match[2]);
  if (isIPv4(address)) return bits === undefined || bits <= 32;
  return isIPv6(address) && (bits === undefined || bits <= 128);
};

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const EPOCH_SECONDS = /^\d{1,12}$/;
const NUMBER = /^-?\d{1,30}(?:\.\d{1,30})?$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ARN = /^arn:[^:\s]*:[^:\s]*:[^:\s]*:[^:\s]*:\S+$/;

/** For each family: whether a value is one IAM can read, and what to say when it is not. */
const VALUE_RULES: Readonly<Record<Family, { ok: (value: string) => boolean; expected: string }>> = {
  String: { ok: () => true, expected: 'text' },
  Numeric: { ok: (v) => NUMBER.test(v), expected: 'a number such as 10 or 2.5' },
  Date: {
    ok: (v) => EPOCH_SECONDS.test(v) || (ISO_DATE.test(v) && !Number.isNaN(Date.parse(v))),
    expected: 'an ISO 8601 date or time (2026-11-23, 2026-11-23T17:00:00Z) or epoch seconds',
  },
  Bool: { ok: (v) => v === 'true' || v === 'false', expected: "'true' or 'false'" },
  Binary: { ok: (v) => v.length > 0 && BASE64.test(v), expected: 'base64-encoded bytes' },
  IpAddress: {
    ok: isIpOrCidr,
    expected: 'an IPv4 or IPv6 address or CIDR range such as 203.0.113.0/24 or 2001:db8::/32',
  },
  Arn: {
    ok: (v) => ARN.test(v),
    expected: 'an ARN (arn:partition:service:region:account:resource, wildcards allowed)',
  },
  Null: { ok: (v) => v === 'true' || v === 'false', expected: "'true' (the key is absent) or 'false' (present)" },
};

const OPERATOR_HELP =
  'IAM operators are String*, Numeric*, Date*, Bool, BinaryEquals, IpAddress, NotIpAddress, Arn* and Null, ' +
  'optionally with an IfExists suffix (not Null) and a ForAnyValue: or ForAllValues: prefix';

/**
 * What is wrong with a task's conditions, one line per problem: operators IAM does not have and
 * values IAM cannot read for their operator. Keys are checked against the IAM catalog separately
 * (narrowScope), because that needs the catalog.
 */
const conditionProblems = (conditions: ScopeConditions): string[] => {
  const problems: string[] = [];
  for (const [name, keys] of Object.entries(conditions)) {
    const operator = parseOperator(name);
    if (operator === undefined) {
      problems.push(`${quoteInput(name)} is not an IAM condition operator (${OPERATOR_HELP})`);
      continue;
    }
    const rule = VALUE_RULES[operator.family];
    for (const [key, value] of Object.entries(keys)) {
      const values = typeof value === 'string' ? [value] : value;
      const bad = values.find((v) => !rule.ok(v));
      if (bad !== undefined) {
        problems.push(`${name} ${quoteInput(key)}: ${quoteInput(bad)} is not ${rule.expected}`);
      }
    }
  }
  return problems;
};

/** Every condition key a task names, once each. */
const conditionKeys = (conditions: ScopeConditions): string[] => [
  ...new Set(Object.values(conditions).flatMap((keys) => Object.keys(keys))),
];

export { conditionKeys, conditionProblems, parseOperator };
