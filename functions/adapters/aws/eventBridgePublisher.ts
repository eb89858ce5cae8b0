import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

/** One event for the bus; `detail` is the JSON text EventBridge delivers as the event's `detail`. */
interface BusEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: string;
  readonly time?: Date;
}

/** Publishes events in order; answers the positions of the entries EventBridge did not accept. */
interface EventPublisher {
  publish(events: readonly BusEvent[]): Promise<readonly number[]>;
}

/** EventBridge's own ceiling for one PutEvents call. */
const MAX_ENTRIES = 10;

/**
 * EventBridge PutEvents. A transport or service error throws (the caller retries the whole batch);
 * entries EventBridge refused one by one are answered by position, and since consumers rely on
 * order, everything after the first refusal is answered as not published either.
 */
const eventBridgePublisher = (client: EventBridgeClient, busName: string): EventPublisher => ({
  publish: async (events) => {
    for (let start = 0; start < events.length; start += MAX_ENTRIES) {
      const chunk = events.slice(start, start + MAX_ENTRIES);
      const answer = await client.send(
        new PutEventsCommand({
          Entries: chunk.map((e) => ({
            EventBusName: busName,
            Source: e.source,
            DetailType: e.detailType,
            Detail: e.detail,
            ...(e.time === undefined ? {} : { Time: e.time }),
          })),
        })
      );
      const refused = (answer.Entries ?? []).findIndex((entry) => entry.ErrorCode !== undefined);
      if ((answer.FailedEntryCount ?? 0) > 0 && refused >= 0) {
        return Array.from({ length: events.length - (start + refused) }, (_, i) => start + refused + i);
      }
    }
    return [];
  },
});

export type { BusEvent, EventPublisher };
export { eventBridgePublisher };
