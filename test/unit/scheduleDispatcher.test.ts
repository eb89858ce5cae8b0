import {
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { scheduleDispatcher } from '../../sandbox/scheduleDispatcher.js';
import { capturingLogger } from '../helpers/fixtures.js';

const NOW = new Date('2026-11-23T10:00:00.000Z');
const GROUP = 'jit-broker-expiry';
const scheduler = mockClient(SchedulerClient);
afterEach(() => scheduler.reset());

const due = (grantId: string) => ({
  Name: `jit-expire-${grantId}`,
  ScheduleExpression: 'at(2026-11-23T09:59:00)',
  Target: {
    Arn: 'arn:aws:lambda:us-east-1:123456789012:function:jit-broker-expire',
    RoleArn: 'arn:aws:iam::123456789012:role/jit-broker-scheduler',
    Input: JSON.stringify({ grantId, reason: 'expiry' }),
  },
});
const gone = () =>
  new ResourceNotFoundException({ Message: 'Schedule jit-expire-g-1 does not exist.', message: 'gone', $metadata: {} });

/** A dispatcher on the mocked Scheduler, at the time `now` answers, recording what it invokes. */
const dispatcherAt = (now: () => Date, invoked: unknown[] = [], logger = capturingLogger().logger) =>
  scheduleDispatcher({
    scheduler: new SchedulerClient({ region: 'us-east-1' }),
    groupName: GROUP,
    invoke: async (payload) => void invoked.push(payload),
    logger,
    now,
  });

describe('the sandbox schedule dispatcher', () => {
  it('skips a schedule deleted between its list and its get, and fires the others of the same tick', async () => {
    scheduler.on(ListSchedulesCommand).resolves({
      Schedules: [{ Name: 'jit-expire-g-1' }, { Name: 'jit-expire-g-2' }],
    });
    scheduler.on(GetScheduleCommand, { Name: 'jit-expire-g-1' }).rejects(gone());
    scheduler.on(GetScheduleCommand, { Name: 'jit-expire-g-2' }).resolves(due('g-2'));
    scheduler.on(DeleteScheduleCommand).resolves({});
    const invoked: unknown[] = [];
    const { logger, lines } = capturingLogger();
    const dispatcher = dispatcherAt(() => NOW, invoked, logger);
    expect(await dispatcher.tick()).toEqual(['jit-expire-g-2']);
    expect(invoked).toEqual([{ grantId: 'g-2', reason: 'expiry' }]);
    expect(lines).toEqual([]);
  });

  it('still fails the tick on any other error from Scheduler', async () => {
    scheduler.on(ListSchedulesCommand).resolves({ Schedules: [{ Name: 'jit-expire-g-1' }] });
    scheduler.on(GetScheduleCommand).rejects(new Error('emulator down'));
    const dispatcher = dispatcherAt(() => NOW);
    await expect(dispatcher.tick()).rejects.toThrow('emulator down');
  });

  it('reads a schedule not yet due once, until it is modified or its time comes', async () => {
    let clock = NOW;
    const summary = (modified: string) => ({
      Schedules: [{ Name: 'jit-expire-g-3', LastModificationDate: new Date(modified) }],
    });
    const later = (at: string) => ({ ...due('g-3'), ScheduleExpression: `at(${at})` });
    scheduler.on(ListSchedulesCommand).resolves(summary('2026-11-23T09:00:00.000Z'));
    scheduler.on(GetScheduleCommand).resolves(later('2026-11-23T10:05:00'));
    scheduler.on(DeleteScheduleCommand).resolves({});
    const invoked: unknown[] = [];
    const dispatcher = dispatcherAt(() => clock, invoked);
    const reads = () => scheduler.commandCalls(GetScheduleCommand).length;
    expect(await dispatcher.tick()).toEqual([]);
    expect(await dispatcher.tick()).toEqual([]);
    expect(reads()).toBe(1);
    // Moved (an extension updates it): read again, and the new time is what counts.
    scheduler.on(ListSchedulesCommand).resolves(summary('2026-11-23T09:30:00.000Z'));
    scheduler.on(GetScheduleCommand).resolves(later('2026-11-23T10:10:00'));
    clock = new Date('2026-11-23T10:06:00.000Z');
    expect(await dispatcher.tick()).toEqual([]);
    expect(reads()).toBe(2);
    // Its time comes: read once more before it fires.
    clock = new Date('2026-11-23T10:10:01.000Z');
    expect(await dispatcher.tick()).toEqual(['jit-expire-g-3']);
    expect(reads()).toBe(3);
    expect(invoked).toEqual([{ grantId: 'g-3', reason: 'expiry' }]);
  });

  it('reads every time a schedule whose listing carries no modification date', async () => {
    scheduler.on(ListSchedulesCommand).resolves({ Schedules: [{ Name: 'jit-expire-g-4' }] });
    scheduler.on(GetScheduleCommand).resolves({ ...due('g-4'), ScheduleExpression: 'at(2026-11-23T11:00:00)' });
    const dispatcher = dispatcherAt(() => NOW);
    await dispatcher.tick();
    await dispatcher.tick();
    expect(scheduler.commandCalls(GetScheduleCommand)).toHaveLength(2);
  });
});
