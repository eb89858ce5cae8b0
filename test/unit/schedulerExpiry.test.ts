import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  InternalServerException,
  ResourceNotFoundException,
  SchedulerClient,
  ThrottlingException,
  UpdateScheduleCommand,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { atExpression, expiryScheduleName, SchedulerExpiry } from '../../functions/adapters/aws/schedulerExpiry.js';
import { ServiceUnavailableError } from '../../functions/domain/errors.js';
import { offlineClientConfig, rejectionOf, socketError } from '../helpers/awsFaults.js';

const scheduler = mockClient(SchedulerClient);
const TARGET = {
  groupName: 'jit-expiry',
  functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:jit-end-grant',
  roleArn: 'arn:aws:iam::123456789012:role/jit-scheduler-invoke',
  deadLetterArn: 'arn:aws:sqs:us-east-1:123456789012:jit-expiry-dlq',
};
const expiry = new SchedulerExpiry(new SchedulerClient(offlineClientConfig), TARGET);

const GRANT = 'g-01jtest0000000000000000000';
const AT = new Date('2026-11-23T09:30:00.250Z');

/** Scheduler's exceptions carry their text twice: `message` (Error) and `Message` (the modelled field). */
const faultText = (text: string, httpStatusCode: number) => ({
  message: text,
  Message: text,
  $metadata: { httpStatusCode },
});
const conflict = () => new ConflictException(faultText(`Schedule jit-expire-${GRANT} already exists.`, 409));
const notFound = (text: string) => new ResourceNotFoundException(faultText(text, 404));

const createInputs = () => scheduler.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input);
const updateInputs = () => scheduler.commandCalls(UpdateScheduleCommand).map((c) => c.args[0].input);

beforeEach(() => {
  scheduler.reset();
});

afterAll(() => {
  scheduler.restore();
});

describe('atExpression', () => {
  it.each([
    ['2026-11-23T09:30:00.000Z', 'at(2026-11-23T09:30:00)'],
    ['2026-11-23T09:30:00.001Z', 'at(2026-11-23T09:30:01)'],
    ['2026-11-23T09:30:00.999Z', 'at(2026-11-23T09:30:01)'],
    ['2026-11-23T09:59:59.500Z', 'at(2026-11-23T10:00:00)'],
    ['2026-12-31T23:59:59.001Z', 'at(2027-01-01T00:00:00)'],
    ['2026-11-23T11:30:00.000+02:00', 'at(2026-11-23T09:30:00)'],
  ])('writes %s as %s, in UTC and rounded up to the second', (iso, expression) => {
    expect(atExpression(new Date(iso))).toBe(expression);
  });

  it('refuses an invalid date', () => {
    expect(() => atExpression(new Date('not a date'))).toThrow(RangeError);
  });
});

describe('expiryScheduleName', () => {
  it('names the schedule after the grant', () => {
    expect(expiryScheduleName(GRANT)).toBe(`jit-expire-${GRANT}`);
  });
});

describe('SchedulerExpiry.schedule', () => {
  it('creates a one-time UTC schedule that invokes the end-grant function with retries and a DLQ', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule' });
    await expiry.schedule(GRANT, AT);
    expect(createInputs()).toEqual([
      {
        Name: `jit-expire-${GRANT}`,
        GroupName: 'jit-expiry',
        ScheduleExpression: 'at(2026-11-23T09:30:01)',
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'DELETE',
        State: 'ENABLED',
        ClientToken: expect.stringMatching(/^[0-9a-f]{64}$/),
        Target: {
          Arn: TARGET.functionArn,
          RoleArn: TARGET.roleArn,
          Input: `{"grantId":"${GRANT}","reason":"expiry"}`,
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: TARGET.deadLetterArn },
        },
      },
    ]);
    expect(updateInputs()).toEqual([]);
  });

  it.each([
    { token: 'the same token', for: 'the same grant and time', grantId: GRANT, at: AT, same: true },
    {
      token: 'the same token',
      for: 'a time in the same second',
      grantId: GRANT,
      at: new Date('2026-11-23T09:30:00.900Z'),
      same: true,
    },
    {
      token: 'a new token',
      for: 'a later time',
      grantId: GRANT,
      at: new Date('2026-11-23T10:30:00.250Z'),
      same: false,
    },
    { token: 'a new token', for: 'another grant', grantId: 'g-01jother000000000000000000', at: AT, same: false },
  ])('sends $token for $for', async ({ grantId, at, same }) => {
    scheduler.on(CreateScheduleCommand).resolves({});
    await expiry.schedule(GRANT, AT);
    await expiry.schedule(grantId, at);
    const [first, second] = createInputs().map((input) => input.ClientToken);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(first === second).toBe(same);
  });

  it('moves an existing schedule with UpdateSchedule and the whole definition', async () => {
    scheduler.on(CreateScheduleCommand).rejects(conflict());
    scheduler.on(UpdateScheduleCommand).resolves({ ScheduleArn: 'arn:schedule' });
    await expiry.schedule(GRANT, AT);
    expect(createInputs()).toHaveLength(1);
    expect(updateInputs()).toEqual(createInputs());
    expect(updateInputs()[0]).toMatchObject({ ScheduleExpression: 'at(2026-11-23T09:30:01)', State: 'ENABLED' });
  });

  it('creates it again when it vanishes between the create and the update', async () => {
    scheduler.on(CreateScheduleCommand).rejectsOnce(conflict()).resolves({});
    scheduler.on(UpdateScheduleCommand).rejects(notFound(`Schedule jit-expire-${GRANT} does not exist.`));
    await expiry.schedule(GRANT, AT);
    expect(createInputs()).toHaveLength(2);
    expect(updateInputs()).toHaveLength(1);
  });

  it('gives up with SCHEDULER_UNAVAILABLE when the schedule keeps appearing and vanishing', async () => {
    scheduler.on(CreateScheduleCommand).rejects(conflict());
    scheduler.on(UpdateScheduleCommand).rejects(notFound(`Schedule jit-expire-${GRANT} does not exist.`));
    const error = await rejectionOf(expiry.schedule(GRANT, AT));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ code: 'SCHEDULER_UNAVAILABLE' });
    expect(createInputs()).toHaveLength(2);
    expect(updateInputs()).toHaveLength(2);
  });

  it('reports a missing schedule group as SCHEDULE_GROUP_MISSING, naming the group', async () => {
    const fault = notFound('Schedule group jit-expiry does not exist.');
    scheduler.on(CreateScheduleCommand).rejects(fault);
    const error = await rejectionOf(expiry.schedule(GRANT, AT));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ code: 'SCHEDULE_GROUP_MISSING', cause: fault });
    expect((error as Error).message).toContain('jit-expiry');
  });

  it('re-throws a validation error unchanged', async () => {
    const fault = new ValidationException(faultText('Invalid expression', 400));
    scheduler.on(CreateScheduleCommand).rejects(fault);
    expect(await rejectionOf(expiry.schedule(GRANT, AT))).toBe(fault);
  });
});

describe('SchedulerExpiry.cancel', () => {
  it('deletes the grant’s schedule from the group', async () => {
    scheduler.on(DeleteScheduleCommand).resolves({});
    await expiry.cancel(GRANT);
    expect(scheduler.commandCalls(DeleteScheduleCommand).map((c) => c.args[0].input)).toEqual([
      { Name: `jit-expire-${GRANT}`, GroupName: 'jit-expiry' },
    ]);
  });

  it('succeeds when the schedule is already gone', async () => {
    scheduler.on(DeleteScheduleCommand).rejects(notFound(`Schedule jit-expire-${GRANT} does not exist.`));
    await expect(expiry.cancel(GRANT)).resolves.toBeUndefined();
    expect(scheduler.commandCalls(DeleteScheduleCommand)).toHaveLength(1);
  });
});

describe('SchedulerExpiry outages', () => {
  const calls = [
    ['create', () => scheduler.on(CreateScheduleCommand), () => expiry.schedule(GRANT, AT)],
    [
      'update',
      () => {
        scheduler.on(CreateScheduleCommand).rejects(conflict());
        return scheduler.on(UpdateScheduleCommand);
      },
      () => expiry.schedule(GRANT, AT),
    ],
    ['delete', () => scheduler.on(DeleteScheduleCommand), () => expiry.cancel(GRANT)],
  ] as const;
  const faults = [
    ['throttling', () => new ThrottlingException(faultText('Rate exceeded', 429))],
    ['a server fault', () => new InternalServerException(faultText('Internal error', 500))],
    ['a refused connection', () => socketError('ECONNREFUSED')],
  ] as const;

  it.each(calls.flatMap(([op, stub, call]) => faults.map(([what, fault]) => ({ op, stub, call, what, fault }))))(
    '$op reports $what as SCHEDULER_UNAVAILABLE',
    async ({ stub, call, fault }) => {
      const injected = fault();
      stub().rejects(injected);
      const error = await rejectionOf(call());
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error).toMatchObject({ code: 'SCHEDULER_UNAVAILABLE', cause: injected });
      expect((error as Error).message).toContain('EventBridge Scheduler');
    }
  );
});
