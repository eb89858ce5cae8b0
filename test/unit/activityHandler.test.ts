import { describe, expect, it } from 'vitest';
import type { BrokerDeps } from '../../functions/app/deps.js';
import { activityHandler } from '../../functions/handlers/activityHandler.js';
import { assumedRoleCall } from '../helpers/cloudTrailRecords.js';
import { capturingLogger } from '../helpers/fixtures.js';

describe('the recorder entry point', () => {
  it('ignores an "API call" that does not come from an AWS source (a forged PutEvents event), reading nothing', async () => {
    const { logger, lines } = capturingLogger();
    const untouchable = new Proxy(
      {},
      {
        get: () => {
          throw new Error('the recorder must not touch the broker for a forged event');
        },
      }
    );
    const deps = { logger, store: untouchable, activity: untouchable } as unknown as BrokerDeps;
    const detail = assumedRoleCall({
      eventId: 'f-1',
      at: '2026-11-23T09:10:00Z',
      sourceIdentity: 'g-01jd0000000000000000000000',
    });
    const handler = activityHandler(deps);
    for (const source of [undefined, 'my.app', 'amazonaws.s3']) {
      const event = { id: 'x', 'detail-type': 'AWS API Call via CloudTrail', detail, ...(source ? { source } : {}) };
      expect(await handler(event, {} as never)).toEqual({ outcome: 'not-a-grant' });
    }
    expect(lines.filter((l) => l.includes('not a CloudTrail record from AWS'))).toHaveLength(3);
  });
});
