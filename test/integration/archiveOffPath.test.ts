import { describe, expect, it, vi } from 'vitest';
import type { ArchivedEvent } from '../../functions/adapters/aws/s3AuditArchive.js';
import { requestGrant } from '../../functions/app/requestGrant.js';
import { brokerOnFreshTable, caller } from '../helpers/fixtures.js';

const REQUEST = {
  role: 'prod-read',
  scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] },
  durationSeconds: 3600,
  reason: 'archive off the request path',
};

/**
 * Where no table stream archives events (the sandbox), the broker hands each stored event to the
 * archive and answers without waiting for the copy, as the stream leaves the caller alone in AWS.
 */
describe("the audit archive is off the request's path", () => {
  it('answers a request while the archive still holds its events, which were handed on once stored', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handed: ArchivedEvent[] = [];
    const broker = await brokerOnFreshTable({
      archiveAppends: {
        archive: async (events) => {
          handed.push(...events);
          await held;
          return [];
        },
      },
    });
    try {
      const grant = await requestGrant(broker.deps, caller('alice', ['developers']), REQUEST);
      expect(handed.length).toBeGreaterThan(0);
      expect(handed.map((e) => [e.grantId, e.seq])).toEqual(handed.map((_, i) => [grant.id, i + 1]));
    } finally {
      release();
      await broker.dispose();
    }
  });

  it('logs each event the archive could not take, after the answer', async () => {
    const broker = await brokerOnFreshTable({ archiveAppends: { archive: async () => [0] } });
    try {
      const grant = await requestGrant(broker.deps, caller('alice', ['developers']), REQUEST);
      await vi.waitFor(() => {
        const notArchived = broker.logLines.filter((line) => line.includes('audit event not archived'));
        expect(notArchived.some((line) => line.includes(grant.id) && line.includes('"seq":1'))).toBe(true);
      });
    } finally {
      await broker.dispose();
    }
  });
});
