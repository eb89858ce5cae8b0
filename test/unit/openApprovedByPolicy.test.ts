import { describe, expect, it } from 'vitest';
import type { BrokerDeps } from '../../functions/app/deps.js';
import { NotedOncePerProcess } from '../../functions/app/grantedRoles.js';
import { openApprovedByPolicy } from '../../functions/app/openApprovedByPolicy.js';
import { ServiceUnavailableError } from '../../functions/domain/errors.js';
import type { Grant, Transition } from '../../functions/domain/grant.js';
import type { SessionRequest } from '../../functions/ports.js';
import { rejectionOf } from '../helpers/awsFaults.js';
import { capturingLogger, manualClock } from '../helpers/fixtures.js';
import { openedGrant } from '../helpers/signedChains.js';

const alice = { userId: 'alice', groups: [] };

/**
 * What openApprovedByPolicy touches, each step recorded in order; the approval's write waits for
 * `release`, and so does the AssumeRole for `issued` (both are still under way until released).
 */
const setUp = (faults: { write?: Error; schedule?: Error; assume?: Error; record?: Error; note?: Error } = {}) => {
  const steps: string[] = [];
  const noted: string[] = [];
  const gate = () => {
    let open = () => {};
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    return { opened, open: () => open() };
  };
  const writing = gate();
  const assuming = gate();
  const sessions: SessionRequest[] = [];
  const logged = capturingLogger();
  const deps = {
    clock: manualClock(),
    logger: logged.logger,
    alerts: { raise: async (kind: string) => void steps.push(`alert ${kind}`) },
    recentGrants: { remember: (grant: Grant) => void steps.push(`remember ${grant.state}`) },
    grantedRoles: new NotedOncePerProcess(
      {
        note: async (roleId: string) => {
          noted.push(roleId);
          if (faults.note) throw faults.note;
        },
        list: async () => noted,
      },
      logged.logger
    ),
    store: {
      create: async (_opened: Transition, then?: Transition) => {
        steps.push(`write ${then?.grant.state}`);
        await writing.opened;
        if (faults.write) throw faults.write;
        steps.push('written');
      },
      transition: async (from: Grant, to: Transition) => {
        steps.push(`record ${from.state}→${to.grant.state}`);
        if (faults.record) throw faults.record;
      },
    },
    credentials: {
      issue: async (request: SessionRequest) => {
        steps.push('assume');
        sessions.push(request);
        await assuming.opened;
        if (faults.assume) throw faults.assume;
        steps.push('assumed');
        return {
          accessKeyId: 'ASIATEST',
          secretAccessKey: 'secret',
          sessionToken: 'token',
          expiration: new Date(Date.now() + 3600_000),
          assumedRoleArn: 'arn:aws:sts::111111111111:assumed-role/x/alice',
        };
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
  return {
    deps,
    steps,
    noted,
    sessions,
    logLines: logged.lines,
    releaseWrite: writing.open,
    releaseAssume: assuming.open,
  };
};

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('openApprovedByPolicy', () => {
  it('writes the approved grant once and schedules its expiry while the write is under way', async () => {
    const t = setUp();
    const answer = openApprovedByPolicy(t.deps, openedGrant(), 'auto');
    await tick();
    // Both started before the write came back: the requester waits for one round trip.
    expect(t.steps).toEqual(['write APPROVED', 'schedule']);
    t.releaseWrite();
    const { grant, credentials } = await answer;
    expect(grant.state).toBe('APPROVED');
    expect(credentials).toBeUndefined();
    expect(t.steps).toEqual(['write APPROVED', 'schedule', 'written']);
  });

  it("notes the grant's role among the roles with grants while the write is under way", async () => {
    const t = setUp();
    const opened = openedGrant();
    const answer = openApprovedByPolicy(t.deps, opened, 'auto');
    await tick();
    expect(t.noted).toEqual([opened.grant.roleId]);
    expect(t.steps).not.toContain('written');
    t.releaseWrite();
    await answer;
  });

  it('answers the approved grant when its role cannot be noted, and logs that as an error', async () => {
    const t = setUp({ note: new Error('throttled') });
    const answer = openApprovedByPolicy(t.deps, openedGrant(), 'auto');
    t.releaseWrite();
    expect((await answer).grant.state).toBe('APPROVED');
    const logged = t.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'error',
        roleId: openedGrant().grant.roleId,
        error: expect.objectContaining({ message: 'throttled' }),
      })
    );
  });

  it('keeps the schedule of a grant whose write failed (it may have been stored), and fails as the write did', async () => {
    const t = setUp({ write: new Error('table unavailable') });
    const answer = openApprovedByPolicy(t.deps, openedGrant(), 'auto');
    t.releaseWrite();
    expect(await rejectionOf(answer)).toMatchObject({ message: 'table unavailable' });
    expect(t.steps).toEqual(['write APPROVED', 'schedule']);
  });

  it('keeps the approval when the schedule fails, and alerts: the sweeper ends the grant', async () => {
    const t = setUp({ schedule: new Error('scheduler down') });
    const answer = openApprovedByPolicy(t.deps, openedGrant(), 'auto');
    t.releaseWrite();
    expect((await answer).grant.state).toBe('APPROVED');
    expect(t.steps).toContain('alert schedule-failed');
    expect(t.steps).not.toContain('cancel');
  });
});

describe('openApprovedByPolicy with the first credentials', () => {
  it('starts the AssumeRole before the write returns, and answers only once the vend is recorded', async () => {
    const t = setUp();
    const answer = openApprovedByPolicy(t.deps, openedGrant(), 'auto', alice);
    await tick();
    expect(t.steps).toEqual(['assume', 'write APPROVED', 'schedule']);
    // The session is the grant's own, planned from the approved grant.
    expect(t.sessions[0]).toMatchObject({ sourceIdentity: 'g-01jtest0000000000000000000', durationSeconds: 3600 });
    t.releaseAssume();
    await tick();
    // Issued, but the approval is not stored yet: nothing is recorded, nothing answered.
    expect(t.steps).toEqual(['assume', 'write APPROVED', 'schedule', 'assumed']);
    t.releaseWrite();
    const { grant, credentials, vendFailure } = await answer;
    expect(t.steps.slice(-3)).toEqual(['written', 'record APPROVED→ACTIVE', 'remember ACTIVE']);
    expect(grant).toMatchObject({ state: 'ACTIVE', vendCount: 1 });
    expect(credentials?.accessKeyId).toBe('ASIATEST');
    expect(vendFailure).toBeUndefined();
  });

  it('drops the issued credentials unseen when the write fails, and fails as the write did', async () => {
    const t = setUp({ write: new Error('table unavailable') });
    const answer = openApprovedByPolicy(t.deps, openedGrant(), 'auto', alice);
    t.releaseAssume();
    await tick();
    t.releaseWrite();
    expect(await rejectionOf(answer)).toMatchObject({ message: 'table unavailable' });
    expect(t.steps).toContain('assumed');
    expect(t.steps.some((step) => step.startsWith('record'))).toBe(false);
  });

  it('fails as the write did even while the AssumeRole is still under way', async () => {
    const t = setUp({ write: new Error('table unavailable') });
    const answer = openApprovedByPolicy(t.deps, openedGrant(), 'auto', alice);
    t.releaseWrite();
    expect(await rejectionOf(answer)).toMatchObject({ message: 'table unavailable' });
    t.releaseAssume();
    await tick();
    expect(t.steps.some((step) => step.startsWith('record'))).toBe(false);
  });

  it.each([
    ['the AssumeRole fails', 'assume', new ServiceUnavailableError('STS_THROTTLED', 'STS is throttling')],
    ['their vend cannot be recorded', 'record', new ServiceUnavailableError('STORE_THROTTLED', 'table throttling')],
  ] as const)('keeps the approved grant without credentials when %s, and says why', async (_when, step, failure) => {
    const t = setUp({ [step]: failure });
    const answer = openApprovedByPolicy(t.deps, openedGrant(), 'auto', alice);
    t.releaseAssume();
    t.releaseWrite();
    const { grant, credentials, vendFailure } = await answer;
    expect(grant.state).toBe('APPROVED');
    expect(credentials).toBeUndefined();
    expect(vendFailure).toBe(failure);
    // Nothing recorded, or the record that failed: no vend stands for credentials nobody got.
    expect(t.steps.filter((s) => s.startsWith('record'))).toEqual(step === 'record' ? ['record APPROVED→ACTIVE'] : []);
  });

  it('logs a failure the broker does not know as an error, with its stack; a known one as a warning', async () => {
    const unexpected = setUp({ record: new TypeError('cannot read properties of undefined') });
    const answer = openApprovedByPolicy(unexpected.deps, openedGrant(), 'auto', alice);
    unexpected.releaseAssume();
    unexpected.releaseWrite();
    expect((await answer).credentials).toBeUndefined();
    const [line] = unexpected.logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(line).toMatchObject({ level: 'error', error: { name: 'TypeError' } });
    expect(JSON.stringify(line)).toContain('stack');

    const known = setUp({ assume: new ServiceUnavailableError('STS_THROTTLED', 'STS is throttling') });
    const throttled = openApprovedByPolicy(known.deps, openedGrant(), 'auto', alice);
    known.releaseAssume();
    known.releaseWrite();
    await throttled;
    expect(known.logLines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ level: 'warn', code: 'STS_THROTTLED' }),
    ]);
  });
});
