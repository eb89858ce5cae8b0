import type { BrokerDeps } from '../functions/app/deps.js';
import { requestGrant } from '../functions/app/requestGrant.js';
import { approveGrant } from '../functions/app/reviewGrant.js';

/** `count` approved prod-read grants of alice and erin, in turn, as the example configuration allows: their ids. */
const approvedGrants = async (broker: BrokerDeps, count: number, reason: string): Promise<string[]> => {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const grant = await requestGrant(
      broker,
      { userId: i % 2 ? 'alice' : 'erin', groups: ['developers'] },
      {
        role: 'prod-read',
        scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] },
        durationSeconds: 3600,
        reason,
      }
    );
    await approveGrant(broker, { userId: 'bob', groups: ['sre'] }, grant.id);
    ids.push(grant.id);
  }
  return ids;
};

export { approvedGrants };
