import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { type BusEvent, type EventPublisher, eventBridgePublisher } from '../adapters/aws/eventBridgePublisher.js';
import { EVENT_SK_PREFIX } from '../adapters/aws/grantItems.js';
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

/**
 * Publishes a batch in stream order. With ReportBatchItemFailures on the mapping, answering the
 * first record that was not published makes Lambda retry from it; records after it are published
 * again (at least once: consumers de-duplicate on `grantId` + `seq`).
 */
const auditStreamHandler =
  (publisher: EventPublisher, logger: Logger, metrics: Metrics) =>
  async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
    const pending: { record: DynamoDBRecord; busEvent: BusEvent }[] = [];
    for (const record of event.Records) {
      const busEvent = toBusEvent(record);
      if (busEvent !== undefined) pending.push({ record, busEvent });
    }
    try {
      if (pending.length === 0) return { batchItemFailures: [] };
      const failed = await publisher.publish(pending.map((p) => p.busEvent));
      metrics.addMetric('events-published', MetricUnit.Count, pending.length - failed.length);
      const first = failed[0];
      if (first === undefined) return { batchItemFailures: [] };
      metrics.addMetric('events-refused', MetricUnit.Count, failed.length);
      const sequence = pending[first]?.record.dynamodb?.SequenceNumber ?? '';
      logger.warn('EventBridge refused events; the batch is retried from the first one', {
        refused: failed.length,
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

/** Lambda entry point for the table's stream (see infra/statelessStack.ts for the filter). */
const publishAuditEvents = (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  if (handler === undefined) {
    const busName = process.env.EVENT_BUS_NAME;
    if (!busName) throw new Error('EVENT_BUS_NAME must be set');
    handler = auditStreamHandler(eventBridgePublisher(new EventBridgeClient({}), busName), logger, metrics);
  }
  return handler(event);
};

export { auditStreamHandler, EVENT_SOURCE, publishAuditEvents, toBusEvent };
