import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type BusEvent, type EventPublisher, eventBridgePublisher } from '../adapters/aws/eventBridgePublisher.js';
import { EVENT_SK_PREFIX } from '../adapters/aws/grantItems.js';
import { type ArchivedEvent, type AuditArchive, s3AuditArchive } from '../adapters/aws/s3AuditArchive.js';
import { keyAttributes } from '../adapters/aws/tableSchema.js';

/** Every domain event on the bus comes from here. */
const EVENT_SOURCE = 'jit-broker';

/**
 * A new audit event item (`SK` = `EVENT#…`, inserted once: the chain is append-only) becomes one
 * bus event: detail-type is the event type (`grant.approved`), detail is the event as stored (with
 * its hash chain, so consumers can verify it) minus the table's keys. The event source mapping
 * already filters to these records; anything else is skipped here too.
 */
const toBusEvent = (record: DynamoDBRecord): BusEvent | undefined => {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || image === undefined) return undefined;
  const item = unmarshall(image as Record<string, AttributeValue>);
  if (typeof item.SK !== 'string' || !item.SK.startsWith(EVENT_SK_PREFIX) || typeof item.type !== 'string') {
    return undefined;
  }
  const detail = Object.fromEntries(Object.entries(item).filter(([k]) => !keyAttributes.includes(k)));
  const at = typeof item.at === 'string' ? new Date(item.at) : undefined;
  return {
    source: EVENT_SOURCE,
    detailType: item.type,
    detail: JSON.stringify(detail),
    ...(at !== undefined && !Number.isNaN(at.getTime()) ? { time: at } : {}),
  };
};

/** The same event as a line for the archive: the bus detail is already the event minus the table's keys. */
const toArchived = (busEvent: BusEvent): ArchivedEvent => {
  const detail = JSON.parse(busEvent.detail) as { grantId?: unknown; seq?: unknown; at?: unknown };
  return {
    grantId: String(detail.grantId),
    seq: Number(detail.seq),
    at: String(detail.at ?? ''),
    line: busEvent.detail,
  };
};

/**
 * Archives (when an archive is configured) and then publishes a batch in stream order: an event
 * reaches the bus only once it is in the locked archive. With ReportBatchItemFailures on the
 * mapping, answering the first record that was not archived or published makes Lambda retry from
 * it; records after it are published again (at least once: consumers de-duplicate on `grantId` +
 * `seq`; the archive keeps the first copy).
 */
const auditStreamHandler =
  (publisher: EventPublisher, logger: Logger, metrics: Metrics, archive?: AuditArchive) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const pending: { record: DynamoDBRecord; busEvent: BusEvent }[] = [];
    for (const record of event.Records) {
      const busEvent = toBusEvent(record);
      if (busEvent !== undefined) pending.push({ record, busEvent });
    }
    try {
      if (pending.length === 0) return { batchItemFailures: [] };
      const notArchived =
        archive === undefined ? [] : await archive.archive(pending.map((p) => toArchived(p.busEvent)));
      const archived = pending.slice(0, notArchived[0] ?? pending.length);
      if (archive !== undefined) metrics.addMetric('events-archived', MetricUnit.Count, archived.length);
      const failed = await publisher.publish(archived.map((p) => p.busEvent));
      metrics.addMetric('events-published', MetricUnit.Count, archived.length - failed.length);
      const first = failed[0] ?? notArchived[0];
      if (first === undefined) return { batchItemFailures: [] };
      metrics.addMetric('events-refused', MetricUnit.Count, pending.length - first);
      const sequence = pending[first]?.record.dynamodb?.SequenceNumber ?? '';
      logger.warn('events were not archived or not published; the batch is retried from the first one', {
        refused: pending.length - first,
        archiveFailed: notArchived.length > 0,
        sequenceNumber: sequence,
      });
      return { batchItemFailures: [{ itemIdentifier: sequence }] };
    } finally {
      metrics.publishStoredMetrics();
    }
  };

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'jit-broker' });
const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'JitBroker' });

let handler: ((event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>) | undefined;

/**
 * Lambda entry point for the table's stream (see infra/statelessStack.ts for the filter).
 * `AUDIT_ARCHIVE_BUCKET` (infra/auditArchiveBucket.ts) turns on the Object Lock archive.
 */
const publishAuditEvents = (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  if (handler === undefined) {
    const busName = process.env.EVENT_BUS_NAME;
    if (!busName) throw new Error('EVENT_BUS_NAME must be set');
    const bucket = process.env.AUDIT_ARCHIVE_BUCKET;
    handler = auditStreamHandler(
      eventBridgePublisher(new EventBridgeClient({}), busName),
      logger,
      metrics,
      bucket ? s3AuditArchive(new S3Client({}), bucket) : undefined
    );
  }
  return handler(event);
};

export { auditStreamHandler, EVENT_SOURCE, publishAuditEvents, toBusEvent };
