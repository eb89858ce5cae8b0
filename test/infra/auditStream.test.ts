import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { eventBridgePublisher } from '../../functions/adapters/aws/eventBridgePublisher.js';
import { archiveKey, s3AuditArchive } from '../../functions/adapters/aws/s3AuditArchive.js';
import { auditStreamHandler } from '../../functions/handlers/auditStream.js';

const eventRecord = (seq: number, type: string): DynamoDBRecord => ({
  eventName: 'INSERT',
  dynamodb: {
    SequenceNumber: String(100 + seq),
    Keys: { PK: { S: 'GRANT#g-1' }, SK: { S: `EVENT#${String(seq).padStart(8, '0')}` } },
    NewImage: {
      PK: { S: 'GRANT#g-1' },
      SK: { S: `EVENT#${String(seq).padStart(8, '0')}` },
      grantId: { S: 'g-1' },
      seq: { N: String(seq) },
      type: { S: type },
      actor: { S: 'alice' },
      at: { S: '2026-11-23T10:00:00.000Z' },
      details: { M: {} },
    },
  },
});

/** EventBridge through aws-sdk-client-mock: records what was sent, refuses the entries it is told to. */
const fakeEventBridge = (refuse: (detailType: string) => boolean) => {
  const client = new EventBridgeClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const bus = mockClient(client);
  const calls: { entries: Record<string, unknown>[] }[] = [];
  bus.on(PutEventsCommand).callsFake((input: { Entries: { DetailType: string }[] }) => {
    calls.push({ entries: input.Entries as unknown as Record<string, unknown>[] });
    const answers = input.Entries.map((e) =>
      refuse(e.DetailType) ? { ErrorCode: 'InternalFailure' } : { EventId: 'e' }
    );
    return { FailedEntryCount: answers.filter((a) => 'ErrorCode' in a).length, Entries: answers };
  });
  return { calls, publisher: eventBridgePublisher(client, 'jit-bus') };
};

const quiet = () => ({
  logger: new Logger({ logLevel: 'SILENT' }),
  metrics: new Metrics({ namespace: 'Test', serviceName: 'test', logger: { warn: () => {} } as never }),
});

describe('the audit stream publisher', () => {
  it('puts each audit event on the bus with its type as detail-type', async () => {
    const { calls, publisher } = fakeEventBridge(() => false);
    const { logger, metrics } = quiet();
    const answer = await auditStreamHandler(
      publisher,
      logger,
      metrics
    )({
      Records: [eventRecord(1, 'grant.requested'), eventRecord(2, 'grant.approved')],
    });
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.entries.map((e) => [e.Source, e.DetailType, e.EventBusName])).toEqual([
      ['jit-broker', 'grant.requested', 'jit-bus'],
      ['jit-broker', 'grant.approved', 'jit-bus'],
    ]);
    expect(JSON.parse(calls[0]?.entries[1]?.Detail as string)).toEqual({
      grantId: 'g-1',
      seq: 2,
      type: 'grant.approved',
      actor: 'alice',
      at: '2026-11-23T10:00:00.000Z',
      details: {},
    });
  });

  it('skips records that are not new audit events', async () => {
    const { calls, publisher } = fakeEventBridge(() => false);
    const { logger, metrics } = quiet();
    const grantUpdate: DynamoDBRecord = {
      eventName: 'MODIFY',
      dynamodb: { SequenceNumber: '1', NewImage: { PK: { S: 'GRANT#g-1' }, SK: { S: 'GRANT' } } },
    };
    expect(await auditStreamHandler(publisher, logger, metrics)({ Records: [grantUpdate] })).toEqual({
      batchItemFailures: [],
    });
    expect(calls).toEqual([]);
  });

  it('answers the first refused record, so the batch is retried from it in order', async () => {
    const { publisher } = fakeEventBridge((type) => type === 'grant.approved');
    const { logger, metrics } = quiet();
    const answer = await auditStreamHandler(
      publisher,
      logger,
      metrics
    )({
      Records: [eventRecord(1, 'grant.requested'), eventRecord(2, 'grant.approved'), eventRecord(3, 'grant.activated')],
    });
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: '102' }] });
  });

  describe('with the Object Lock archive', () => {
    /** S3 through aws-sdk-client-mock: keeps written keys, answers 412 for existing ones, fails the keys it is told to. */
    const fakeS3 = (fail: (key: string) => boolean = () => false) => {
      const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
      const objects = new Map<string, string>();
      mockClient(client)
        .on(PutObjectCommand)
        .callsFake((input: { Key: string; Body: string; IfNoneMatch?: string }) => {
          if (fail(input.Key)) throw Object.assign(new Error('boom'), { $metadata: { httpStatusCode: 500 } });
          if (objects.has(input.Key) && input.IfNoneMatch === '*') {
            throw Object.assign(new Error('PreconditionFailed'), { $metadata: { httpStatusCode: 412 } });
          }
          objects.set(input.Key, input.Body);
          return {};
        });
      return { objects, archive: s3AuditArchive(client, 'audit-bucket') };
    };

    it('writes each event as one NDJSON object keyed by grant and seq, then publishes it', async () => {
      const { calls, publisher } = fakeEventBridge(() => false);
      const { objects, archive } = fakeS3();
      const { logger, metrics } = quiet();
      const handler = auditStreamHandler(publisher, logger, metrics, archive);
      const batch = { Records: [eventRecord(1, 'grant.requested'), eventRecord(2, 'grant.approved')] };
      expect(await handler(batch)).toEqual({ batchItemFailures: [] });
      expect([...objects.keys()]).toEqual(['audit/g-1/00000001.ndjson', 'audit/g-1/00000002.ndjson']);
      const line = objects.get('audit/g-1/00000002.ndjson') as string;
      expect(line.endsWith('\n')).toBe(true);
      expect(JSON.parse(line)).toMatchObject({ grantId: 'g-1', seq: 2, type: 'grant.approved' });
      expect(calls).toHaveLength(1);
      // Delivered again (at least once): the archive keeps the first object and the batch succeeds.
      expect(await handler(batch)).toEqual({ batchItemFailures: [] });
      expect(objects.size).toBe(2);
    });

    it('publishes nothing past the first event it could not archive, and retries from there', async () => {
      const { calls, publisher } = fakeEventBridge(() => false);
      const { archive } = fakeS3((key) => key.endsWith('00000002.ndjson'));
      const { logger, metrics } = quiet();
      const answer = await auditStreamHandler(
        publisher,
        logger,
        metrics,
        archive
      )({
        Records: [
          eventRecord(1, 'grant.requested'),
          eventRecord(2, 'grant.approved'),
          eventRecord(3, 'grant.activated'),
        ],
      });
      expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: '102' }] });
      expect(calls.flatMap((c) => c.entries.map((e) => e.DetailType))).toEqual(['grant.requested']);
    });

    it('keys an event by its grant and its zero-padded seq, whatever its date', () => {
      expect(archiveKey({ grantId: 'g-1', seq: 3 })).toBe('audit/g-1/00000003.ndjson');
    });
  });
});
