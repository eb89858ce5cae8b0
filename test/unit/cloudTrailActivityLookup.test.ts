import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { CloudTrailActivityLookup, THROTTLE_RETRIES } from '../../functions/adapters/aws/cloudTrailActivityLookup.js';
import { type PacerTime, tokenBucket } from '../../functions/adapters/aws/pacer.js';
import { ServiceUnavailableError } from '../../functions/domain/errors.js';
import { assumedRoleCall } from '../helpers/cloudTrailRecords.js';

const GRANT = 'g-01jd0000000000000000000000';
const WINDOW = { from: new Date('2026-11-23T09:00:00Z'), to: new Date('2026-11-23T12:00:00Z') };

/** Time that only moves when someone sleeps: pacing is read off the call times, nothing waits. */
const virtualTime = () => {
  let now = 0;
  const sleeps: number[] = [];
  const time: PacerTime = {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
  return { time, sleeps, now: () => now };
};

const setup = () => {
  const client = new CloudTrailClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const mock = mockClient(client);
  const clock = virtualTime();
  const lookup = new CloudTrailActivityLookup(client, { time: clock.time, bucket: tokenBucket(2, 1, clock.time) });
  return { mock, clock, lookup };
};

const page = (ids: string[], nextToken?: string) => ({
  Events: ids.map((id) => ({
    EventId: id,
    CloudTrailEvent: JSON.stringify(
      assumedRoleCall({ eventId: id, at: '2026-11-23T09:30:00Z', sourceIdentity: GRANT })
    ),
  })),
  ...(nextToken ? { NextToken: nextToken } : {}),
});

const throttled = () =>
  Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });

describe('CloudTrail LookupEvents adapter', () => {
  it('asks by access key id, one attribute per call, and follows NextToken with the same parameters', async () => {
    const { mock, lookup } = setup();
    mock
      .on(LookupEventsCommand)
      .callsFake((input) => (input.NextToken === 'p2' ? page(['c']) : page(['a', 'b'], 'p2')));
    const records = await lookup.lookup(['ASIAKEY1'], WINDOW);
    expect(records.map((r) => r.eventID)).toEqual(['a', 'b', 'c']);
    const inputs = mock.commandCalls(LookupEventsCommand).map((c) => c.args[0].input);
    expect(inputs).toHaveLength(2);
    for (const input of inputs) {
      expect(input.LookupAttributes).toEqual([{ AttributeKey: 'AccessKeyId', AttributeValue: 'ASIAKEY1' }]);
      expect(input.StartTime).toEqual(WINDOW.from);
      expect(input.EndTime).toEqual(WINDOW.to);
    }
    expect(inputs[1]?.NextToken).toBe('p2');
  });

  it('looks each distinct key up once', async () => {
    const { mock, lookup } = setup();
    mock.on(LookupEventsCommand).resolves(page([]));
    await lookup.lookup(['ASIAKEY1', 'ASIAKEY2', 'ASIAKEY1'], WINDOW);
    const keys = mock
      .commandCalls(LookupEventsCommand)
      .map((c) => c.args[0].input.LookupAttributes?.[0]?.AttributeValue);
    expect(keys).toEqual(['ASIAKEY1', 'ASIAKEY2']);
  });

  it('never sends more than 2 requests in any second', async () => {
    const { mock, clock, lookup } = setup();
    const sentAt: number[] = [];
    mock.on(LookupEventsCommand).callsFake((input) => {
      sentAt.push(clock.now());
      const n = Number(input.NextToken ?? 0);
      return n < 9 ? page([`e${n}`], String(n + 1)) : page([`e${n}`]);
    });
    await lookup.lookup(['ASIAKEY1'], WINDOW);
    expect(sentAt).toHaveLength(10);
    for (const t of sentAt) {
      const inWindow = sentAt.filter((u) => u >= t && u < t + 1000);
      expect(inWindow.length, `calls in [${t}, ${t + 1000})`).toBeLessThanOrEqual(2);
    }
    // And it is not slower than it must be: 10 calls, one every 500 ms, take 4.5 s of virtual time.
    expect(clock.now()).toBe(4500);
  });

  it('retries throttling with growing waits, then succeeds', async () => {
    const { mock, clock, lookup } = setup();
    mock
      .on(LookupEventsCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves(page(['a']));
    const records = await lookup.lookup(['ASIAKEY1'], WINDOW);
    expect(records).toHaveLength(1);
    expect(mock.commandCalls(LookupEventsCommand)).toHaveLength(3);
    expect(clock.sleeps.filter((ms) => ms >= 1000)).toEqual([1000, 2000]);
  });

  it('gives up after the retries with CLOUDTRAIL_THROTTLED', async () => {
    const { mock, lookup } = setup();
    mock.on(LookupEventsCommand).rejects(throttled());
    const error = await lookup.lookup(['ASIAKEY1'], WINDOW).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect((error as ServiceUnavailableError).code).toBe('CLOUDTRAIL_THROTTLED');
    expect(mock.commandCalls(LookupEventsCommand)).toHaveLength(THROTTLE_RETRIES + 1);
  });

  it('names the missing permission on AccessDenied', async () => {
    const { mock, lookup } = setup();
    mock
      .on(LookupEventsCommand)
      .rejects(
        Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } })
      );
    const error = (await lookup.lookup(['ASIAKEY1'], WINDOW).catch((e: unknown) => e)) as ServiceUnavailableError;
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error.code).toBe('CLOUDTRAIL_ACCESS_DENIED');
    expect(error.message).toContain('cloudtrail:LookupEvents');
  });

  it('skips a record CloudTrail could not serialise instead of failing the view', async () => {
    const { mock, lookup } = setup();
    mock
      .on(LookupEventsCommand)
      .resolves({ Events: [{ EventId: 'x', CloudTrailEvent: '{not json' }, ...page(['a']).Events] });
    expect((await lookup.lookup(['ASIAKEY1'], WINDOW)).map((r) => r.eventID)).toEqual(['a']);
  });
});
