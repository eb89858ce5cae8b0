import { describe, expect, it } from 'vitest';
import type { BrokerDeps } from '../../functions/app/deps.js';
import { KnownGrants } from '../../functions/app/grantFacts.js';
import { recordActivity } from '../../functions/app/recordActivity.js';
import type { ActivityUse } from '../../functions/domain/activity.js';
import type { CallClass } from '../../functions/domain/callOutcome.js';
import type { Grant } from '../../functions/domain/grant.js';
import { assumedRoleCall } from '../helpers/cloudTrailRecords.js';
import { capturingLogger, manualClock } from '../helpers/fixtures.js';

const GRANT = 'g-01jd0000000000000000000000';
const ROLE_ARN = 'arn:aws:iam::123456789012:role/jit/prod-read';
const at = (minute: number) => `2026-11-23T09:${String(minute).padStart(2, '0')}:00.000Z`;

/**
 * The recorder on in-memory ports that log every call made to them, in order: what a warm recorder
 * asks of the table for each CloudTrail event (a port call is one DynamoDB request or transaction).
 */
const recorderOnMemoryPorts = () => {
  const calls: string[] = [];
  const filed: { eventId: string; filed: CallClass }[] = [];
  const alerts: string[] = [];
  const recorded = new Set<string>();
  let grant: Grant = {
    id: GRANT,
    roleArn: ROLE_ARN,
    roleId: 'prod-read',
    requester: 'alice',
    state: 'ACTIVE',
  } as Grant;
  const clock = manualClock(new Date(at(10)));
  const deps = {
    clock,
    logger: capturingLogger().logger,
    config: { anomaly: { rules: [] } },
    knownGrants: new KnownGrants(),
    store: {
      get: async (id: string) => {
        calls.push('store.get');
        return id === GRANT ? grant : undefined;
      },
      auditTrail: async () => {
        calls.push('store.auditTrail');
        return [];
      },
    },
    activity: {
      record: async (use: ActivityUse, how: CallClass) => {
        calls.push('activity.record');
        if (recorded.has(use.eventId)) return 'duplicate';
        recorded.add(use.eventId);
        filed.push({ eventId: use.eventId, filed: how });
        return 'recorded';
      },
    },
    alerts: {
      raise: async (kind: string) => {
        alerts.push(kind);
      },
    },
  } as unknown as BrokerDeps;
  const call = (eventId: string, minute: number, extra: { errorCode?: string; roleName?: string } = {}) =>
    recordActivity(deps, assumedRoleCall({ eventId, at: at(minute), sourceIdentity: GRANT, ...extra }));
  const end = (endedAt: string) => {
    grant = { ...grant, state: 'ENDED', endedAt };
  };
  return { deps, calls, filed, alerts, clock, call, end };
};

describe('the recorder asks the table once per CloudTrail event of a grant it knows', () => {
  it('reads the grant for its first call, then makes one write and no read per call', async () => {
    const { calls, call } = recorderOnMemoryPorts();
    expect(await call('e-1', 1)).toBe('recorded');
    expect(calls).toEqual(['store.get', 'activity.record']);
    calls.length = 0;
    for (let minute = 2; minute <= 9; minute++) expect(await call(`e-${minute}`, minute)).toBe('recorded');
    expect(calls).toEqual(Array(8).fill('activity.record'));
  });

  it('answers a redelivered event "duplicate" with the same single write and no read', async () => {
    const { calls, call } = recorderOnMemoryPorts();
    await call('e-1', 1);
    calls.length = 0;
    expect(await call('e-1', 1)).toBe('duplicate');
    expect(calls).toEqual(['activity.record']);
  });

  it('ignores a call from another role naming a known grant without a read or a write', async () => {
    const { calls, call } = recorderOnMemoryPorts();
    await call('e-1', 1);
    calls.length = 0;
    expect(await call('e-2', 2, { roleName: 'someone-elses-role' })).toBe('other-role');
    expect(calls).toEqual([]);
  });

  it('reads again for a call made after its last read: the grant may have ended since, and the call is filed after the end', async () => {
    const { calls, filed, alerts, clock, call, end } = recorderOnMemoryPorts();
    await call('e-1', 1); // read at 09:10: live then
    end(at(12)); // ended at 09:12, unseen by this process
    clock.advance(20 * 60);
    calls.length = 0;
    // 09:20 is after the end and beyond the grace: it must be found late, whatever the process knew.
    expect(await call('e-late', 20)).toBe('recorded');
    expect(calls[0]).toBe('store.get');
    expect(filed.at(-1)).toEqual({ eventId: 'e-late', filed: { outcome: 'succeeded', phase: 'after-end' } });
    expect(alerts).toEqual(['used-after-end']);
  });

  it('files a call made before its last read as live without reading, even if the grant ended since', async () => {
    const { calls, filed, call, end } = recorderOnMemoryPorts();
    await call('e-1', 1); // read at 09:10
    end(at(11)); // an end recorded later carries a later clock
    calls.length = 0;
    await call('e-2', 9);
    expect(calls).toEqual(['activity.record']);
    expect(filed.at(-1)?.filed.phase).toBe('live');
  });

  it('files the calls of an ended grant with one write from its end, refused ones (the kill at work) included', async () => {
    const { calls, filed, alerts, clock, call, end } = recorderOnMemoryPorts();
    end(at(5));
    clock.advance(60 * 60);
    await call('e-1', 20, { errorCode: 'AccessDenied' });
    calls.length = 0;
    await call('e-2', 30, { errorCode: 'AccessDenied' });
    await call('e-3', 31, { errorCode: 'AccessDenied' });
    expect(calls).toEqual(['activity.record', 'activity.record']);
    expect(filed.map((f) => f.filed.phase)).toEqual(['after-end', 'after-end', 'after-end']);
    expect(alerts).toEqual([]);
  });

  it('reads the grant as it is now for what the anomaly rules and the alert act on', async () => {
    const { calls, call } = recorderOnMemoryPorts();
    await call('e-1', 1);
    calls.length = 0;
    // A refused call of a live grant: the anomaly rules look at the grant's current state.
    await call('e-2', 2, { errorCode: 'AccessDenied' });
    expect(calls).toEqual(['store.get', 'activity.record']);
  });
});

describe('what the recorder keeps of grants', () => {
  it('stays bounded: the least recently used grant is forgotten first', () => {
    const known = new KnownGrants();
    const grant = (id: string) => ({ id, roleArn: ROLE_ARN, state: 'ENDED', endedAt: at(1) }) as Grant;
    known.remember(grant('g-first'), new Date(at(2)));
    for (let i = 0; i < 1000; i++) known.remember(grant(`g-${i}`), new Date(at(2)));
    expect(known.factsFor({ grantId: 'g-first', at: at(3) })).toBeUndefined();
    expect(known.factsFor({ grantId: 'g-999', at: at(3) })).toEqual({ roleArn: ROLE_ARN, endedAt: at(1) });
  });
});
