import * as z from 'zod/mini';
import '../config/zodMessages.js';

/**
 * `GET /grants/{id}/audit?lookup=cloudtrail`: add CloudTrail Event history to the recorded activity;
 * `compare=archive`: compare the table's chain with the audit archive's.
 */
const auditQuery = z.strictObject({
  lookup: z.optional(z.enum(['cloudtrail'], "the only lookup is 'cloudtrail'")),
  compare: z.optional(z.enum(['archive'], "the only comparison is 'archive'")),
});

const isoInstant = (what: string) =>
  z.pipe(
    z.string().check(
      z.maxLength(40),
      z.refine(
        (text) => /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(text) && !Number.isNaN(Date.parse(text)),
        {
          message: `${what} must be an ISO 8601 date or time, e.g. 2026-11-01 or 2026-11-01T00:00:00Z`,
        }
      )
    ),
    z.transform((text: string) => new Date(text).toISOString())
  );

/** `GET /reports/{kind}`: the period (default: the last 30 days) and the reuse threshold. */
const reportQuery = z.strictObject({
  from: z.optional(isoInstant('from')),
  to: z.optional(isoInstant('to')),
  reuseThreshold: z.optional(
    z
      .pipe(z.string().check(z.regex(/^\d{1,4}$/, 'must be a whole number from 2 to 1000')), z.transform(Number))
      .check(z.refine((n) => n >= 2 && n <= 1000, 'must be a whole number from 2 to 1000'))
  ),
});

export { auditQuery, reportQuery };
