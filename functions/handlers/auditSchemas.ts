import { z } from 'zod';

/**
 * `GET /grants/{id}/audit?lookup=cloudtrail`: add CloudTrail Event history to the recorded activity;
 * `compare=archive`: compare the table's chain with the audit archive's.
 */
const auditQuery = z.strictObject({
  lookup: z.enum(['cloudtrail'], "the only lookup is 'cloudtrail'").optional(),
  compare: z.enum(['archive'], "the only comparison is 'archive'").optional(),
});

const isoInstant = (what: string) =>
  z
    .string()
    .max(40)
    .refine(
      (text) => /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(text) && !Number.isNaN(Date.parse(text)),
      {
        message: `${what} must be an ISO 8601 date or time, e.g. 2026-11-01 or 2026-11-01T00:00:00Z`,
      }
    )
    .transform((text) => new Date(text).toISOString());

/** `GET /reports/{kind}`: the period (default: the last 30 days) and the reuse threshold. */
const reportQuery = z.strictObject({
  from: isoInstant('from').optional(),
  to: isoInstant('to').optional(),
  reuseThreshold: z
    .string()
    .regex(/^\d{1,4}$/, 'must be a whole number from 2 to 1000')
    .transform(Number)
    .refine((n) => n >= 2 && n <= 1000, 'must be a whole number from 2 to 1000')
    .optional(),
});

export { auditQuery, reportQuery };
