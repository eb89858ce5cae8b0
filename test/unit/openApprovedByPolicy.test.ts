import { describe, expect, it } from 'vitest';
import type { BrokerDeps } from '../../functions/app/deps.js';
import { openApprovedByPolicy } from '../../functions/app/openApprovedByPolicy.js';
import type { Transition } from '../../functions/domain/grant.js';
import { rejectionOf } from '../helpers/awsFaults.js';
import { capturingLogger, manualClock } from '../helpers/fixtures.js';
import { openedGrant } from '../helpers/signedChains.js';

/** What openApprovedByPolicy touches, each step recorded in order; the write waits for `release`. */
const setUp = (faults: { write?: Error; schedule?: Error } = {}) => {
  const steps: string[] = [];
  let release = () => {};
  const writing = new Promise<void>((resolve) => {
    release = resolve;
  });
  const deps = {
    clock: manualClock(),
    logger: capturingLogger().logger,
    alerts: { raise: async (kind: string) => void steps.push(`alert ${kind}`) },
    store: {
      create: async (_opened: Transition, then?: Transition) => {
        steps.push(`write ${then?.grant.state}`);
        await writing;
        if (faults.write) throw faults.write;
        steps.push('written');
      },
    },
    expiry: {
      schedule: async () => {
        steps.push('schedule');
        if (faults.schedule) throw faults.schedule;
      },
      cancel: async () => void steps.push('cancel'),
    },
  } as unknown as BrokerDeps;
  return { deps, steps, release: () => release() };
};

describe('openApprovedByPolicy', () => {
  it('writes the approved grant once and schedules its expiry while the write is under way', async () => {
    const t = setUp();
    const answer = openApprovedByPolicy(t.deps, openedGrant(), 'auto');
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Both started before the write came back: the requester waits for one round trip.
    expect(t.steps).toEqual(['write APPROVED', 'schedule']);
    t.release();
    expect((await answer).state).toBe('APPROVED');
    expect(t.steps).toEqual(['write APPROVED', 'schedule', 'written']);
  });

  it('keeps the schedule of a grant whose write failed (it may have been stored), and fails as the write did', async () => {
    const t = setUp({ write: new Error('table unavailable') });
    const answer = openApprovedByPolicy(t.deps, openedGrant(), 'auto');
    t.release();
    expect(await rejectionOf(answer)).toMatchObject({ message: 'table unavailable' });
    expect(t.steps).toEqual(['write APPROVED', 'schedule']);
  });

  it('keeps the approval when the schedule fails, and alerts: the sweeper ends the grant', async () => {
    const t = setUp({ schedule: new Error('scheduler down') });
    const answer = openApprovedByPolicy(t.deps, openedGrant(), 'auto');
    t.release();
    expect((await answer).state).toBe('APPROVED');
    expect(t.steps).toContain('alert schedule-failed');
    expect(t.steps).not.toContain('cancel');
  });
});
