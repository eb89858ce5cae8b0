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
    const dispatcher = scheduleDispatcher({
      scheduler: new SchedulerClient({ region: 'us-east-1' }),
      groupName: GROUP,
      invoke: async (payload) => invoked.push(payload),
      logger,
      now: () => NOW,
    });
    expect(await dispatcher.tick()).toEqual(['jit-expire-g-2']);
    expect(invoked).toEqual([{ grantId: 'g-2', reason: 'expiry' }]);
    expect(lines).toEqual([]);
  });

  it('still fails the tick on any other error from Scheduler', async () => {
    scheduler.on(ListSchedulesCommand).resolves({ Schedules: [{ Name: 'jit-expire-g-1' }] });
    scheduler.on(GetScheduleCommand).rejects(new Error('emulator down'));
    const dispatcher = scheduleDispatcher({
      scheduler: new SchedulerClient({ region: 'us-east-1' }),
      groupName: GROUP,
      invoke: async () => undefined,
      logger: capturingLogger().logger,
      now: () => NOW,
    });
    await expect(dispatcher.tick()).rejects.toThrow('emulator down');
  });
});
