import middy from '@middy/core';
import * as z from 'zod/mini';
import type { BrokerDeps } from '../app/deps.js';
import { type ExpiryOutcome, expireGrant } from '../app/endGrant.js';
import { type SweepReport, sweep } from '../app/sweep.js';
import { GRANT_ID } from '../config/patterns.js';
import '../config/zodMessages.js';

/** What the grant's expiry schedule sends (schedulerExpiry.ts writes it). */
const expiryEvent = z.strictObject({ grantId: z.string().check(z.regex(GRANT_ID)), reason: z.literal('expiry') });

/**
 * Invoked by EventBridge Scheduler at a grant's expiry (and by the sandbox's dispatcher). A thrown
 * error makes Scheduler retry, then dead-letter; expireGrant is idempotent, so retries are safe.
 */
const expiryHandler = (deps: BrokerDeps) =>
  middy<unknown, { grantId: string; outcome: ExpiryOutcome }>().handler(async (event) => {
    const { grantId } = expiryEvent.parse(event);
    const outcome = await expireGrant(deps, grantId);
    deps.logger.info('expiry schedule fired', { grantId, outcome });
    return { grantId, outcome };
  });

/** Invoked on a rate schedule: reconciles lost schedules, failed kills and due prunes. */
const sweepHandler = (deps: BrokerDeps) =>
  middy<unknown, SweepReport>().handler(async () => {
    const report = await sweep(deps);
    deps.logger.info('sweep finished', {
      pendingExpired: report.pendingExpired.length,
      accessExpired: report.accessExpired.length,
      rolesReconciled: report.rolesReconciled.length,
    });
    return report;
  });

export { expiryHandler, sweepHandler };
