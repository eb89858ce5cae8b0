import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type ActivityUse,
  type GrantActivity,
  LATE_CALLS_KEPT,
  type LateCall,
  lateCall,
  NO_ACTIVITY,
  type RefusedCall,
} from '../../domain/activity.js';
import { CALL_OUTCOMES, type CallClass, type CallOutcome } from '../../domain/callOutcome.js';
import type { ActivityStore } from '../../ports.js';
import { grantPk } from './grantItems.js';
import { tableDocument } from './tableDocument.js';

/**
 * Activity items live in the grant's partition (see tableSchema.ts):
 *
 *   ACTIVITY                  the summary: `calls`, `afterEndCount`, `refusedWhileLive`, one
 *                             `action:<service:Action>` counter per action used and one `late:<outcome>`
 *                             per outcome of late calls (top-level, so UpdateItem ADD works), and the
 *                             times `firstUsedAt`, `lastUsedAt`, `firstRefusedSinceEndAt`, `lastSucceededAfterEndAt`
 *   USE#<eventID>             one per CloudTrail event: makes recording idempotent and keeps the call
 *   LATE#<at>#<eventID>       one per call after the grant's end (beyond the grace): the audit lists them, earliest first
 *   REFUSAL#<at>#<eventID>    one per refused call while the grant was live: anomaly rules count them by time
 */
const ACTIVITY_SK = 'ACTIVITY';
const ACTION_ATTRIBUTE_PREFIX = 'action:';
const LATE_OUTCOME_PREFIX = 'late:';
const useSk = (eventId: string) => `USE#${eventId}`;
const LATE_SK_PREFIX = 'LATE#';
const REFUSAL_SK_PREFIX = 'REFUSAL#';
const timedSk = (prefix: string, use: ActivityUse) => `${prefix}${use.at}#${use.eventId}`;
/** Sorts after every character of a CloudTrail event id (a UUID): closes a time range inclusively. */
const AFTER_ANY_EVENT_ID = '~';

const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed'));

class DynamoActivityStore implements ActivityStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.#doc = tableDocument(client);
    this.#table = tableName;
  }

  /**
   * One transaction — one request: the event's marker (only if new), its late-call or refusal item,
   * and the counters, so a redelivered event counts nothing twice. In order (a call no earlier than
   * the last one recorded, the common case), the first/last-use times move in the same update. A call
   * that comes out of order is counted without them, and the times then move outwards with
   * conditional updates, as do the times after the end — on duplicates too, so a delivery that
   * failed half-way is completed by its retry (min and max are idempotent).
   */
  async record(use: ActivityUse, filed: CallClass): Promise<'recorded' | 'duplicate'> {
    const pk = grantPk(use.grantId);
    const first = await this.#count(use, filed, 'in order');
    const outcome = first === 'out of order' ? await this.#count(use, filed, 'any order') : first;
    // Independent attributes, independent conditions: sent together.
    await Promise.all([
      ...(first === 'recorded'
        ? []
        : [this.#widen(pk, 'firstUsedAt', '>', use.at), this.#widen(pk, 'lastUsedAt', '<', use.at)]),
      ...(filed.phase !== 'live' && filed.outcome === 'refused'
        ? [this.#widen(pk, 'firstRefusedSinceEndAt', '>', use.at)]
        : []),
      ...(filed.phase === 'after-end' && filed.outcome === 'succeeded'
        ? [this.#widen(pk, 'lastSucceededAfterEndAt', '<', use.at)]
        : []),
    ]);
    return outcome === 'duplicate' ? 'duplicate' : 'recorded';
  }

  /**
   * The transaction. `in order` also sets the first/last-use times, on the condition that the call
   * is no earlier than both (or the grant has none yet): then the first stays, the last is this call.
   */
  async #count(
    use: ActivityUse,
    filed: CallClass,
    order: 'in order' | 'any order'
  ): Promise<'recorded' | 'duplicate' | 'out of order'> {
    const pk = grantPk(use.grantId);
    const call = {
      eventId: use.eventId,
      action: use.action,
      at: use.at,
      accessKeyId: use.accessKeyId,
      errorCode: use.errorCode,
    };
    const late = filed.phase === 'after-end';
    const refusedLive = filed.phase === 'live' && filed.outcome === 'refused';
    const counters = [
      'calls',
      `${ACTION_ATTRIBUTE_PREFIX}${use.action}`,
      ...(late ? ['afterEndCount', `${LATE_OUTCOME_PREFIX}${filed.outcome}`] : []),
      ...(refusedLive ? ['refusedWhileLive'] : []),
    ];
    const add = `ADD ${counters.map((_, i) => `#c${i} :one`).join(', ')}`;
    const times =
      order === 'in order'
        ? {
            UpdateExpression: `SET grantId = :grant, firstUsedAt = if_not_exists(firstUsedAt, :at), lastUsedAt = :at ${add}`,
            ConditionExpression:
              '(attribute_not_exists(firstUsedAt) AND attribute_not_exists(lastUsedAt)) OR (firstUsedAt <= :at AND lastUsedAt <= :at)',
          }
        : { UpdateExpression: `SET grantId = :grant ${add}` };
    const put = (Item: Record<string, unknown>) => ({ Put: { TableName: this.#table, Item } });
    try {
      await this.#doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#table,
                Item: { PK: pk, SK: useSk(use.eventId), ...call, ...filed },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            ...(late ? [put({ PK: pk, SK: timedSk(LATE_SK_PREFIX, use), ...call })] : []),
            ...(refusedLive ? [put({ PK: pk, SK: timedSk(REFUSAL_SK_PREFIX, use), ...call })] : []),
            {
              Update: {
                TableName: this.#table,
                Key: { PK: pk, SK: ACTIVITY_SK },
                ...times,
                ExpressionAttributeNames: Object.fromEntries(counters.map((name, i) => [`#c${i}`, name])),
                ExpressionAttributeValues: {
                  ':grant': use.grantId,
                  ':one': 1,
                  ...(order === 'in order' ? { ':at': use.at } : {}),
                },
              },
            },
          ],
        })
      );
      return 'recorded';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // The marker is the first item: its condition failing means the event was recorded before.
      const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
      return reasons[0]?.Code === 'ConditionalCheckFailed' || order === 'any order' ? 'duplicate' : 'out of order';
    }
  }

  /** Sets `attribute` to `at` when unset or when `attribute <op> at` (earlier first, later last). */
  async #widen(pk: string, attribute: string, op: '<' | '>', at: string): Promise<void> {
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { PK: pk, SK: ACTIVITY_SK },
          UpdateExpression: 'SET #a = :at',
          ConditionExpression: `attribute_not_exists(#a) OR #a ${op} :at`,
          ExpressionAttributeNames: { '#a': attribute },
          ExpressionAttributeValues: { ':at': at },
        })
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async get(grantId: string): Promise<GrantActivity> {
    const pk = grantPk(grantId);
    const [{ Item }, late] = await Promise.all([
      this.#doc.send(
        new GetCommand({ TableName: this.#table, Key: { PK: pk, SK: ACTIVITY_SK }, ConsistentRead: true })
      ),
      this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :late)',
          ExpressionAttributeValues: { ':pk': pk, ':late': LATE_SK_PREFIX },
          Limit: LATE_CALLS_KEPT,
          ConsistentRead: true,
        })
      ),
    ]);
    if (Item === undefined) return NO_ACTIVITY(grantId);
    const counted = (prefix: string) =>
      Object.fromEntries(
        Object.entries(Item)
          .filter(([name]) => name.startsWith(prefix))
          .map(([name, count]) => [name.slice(prefix.length), Number(count)])
      );
    const lateOutcomes = counted(LATE_OUTCOME_PREFIX);
    const afterEnd: LateCall[] = (late.Items ?? []).map((i) =>
      lateCall({
        grantId,
        eventId: i.eventId,
        action: i.action,
        at: i.at,
        ...(i.errorCode ? { errorCode: i.errorCode } : {}),
      })
    );
    return {
      grantId,
      actions: counted(ACTION_ATTRIBUTE_PREFIX),
      calls: Number(Item.calls ?? 0),
      ...(Item.firstUsedAt ? { firstUsedAt: Item.firstUsedAt } : {}),
      ...(Item.lastUsedAt ? { lastUsedAt: Item.lastUsedAt } : {}),
      afterEndCount: Number(Item.afterEndCount ?? 0),
      afterEnd,
      afterEndOutcomes: Object.fromEntries(CALL_OUTCOMES.map((o) => [o, lateOutcomes[o] ?? 0])) as Record<
        CallOutcome,
        number
      >,
      ...(Item.firstRefusedSinceEndAt ? { firstRefusedSinceEndAt: Item.firstRefusedSinceEndAt } : {}),
      ...(Item.lastSucceededAfterEndAt ? { lastSucceededAfterEndAt: Item.lastSucceededAfterEndAt } : {}),
      refusedWhileLive: Number(Item.refusedWhileLive ?? 0),
    };
  }

  async refusedWhileLive(grantId: string, period: { from: string; to: string }): Promise<readonly RefusedCall[]> {
    const calls: RefusedCall[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.#doc.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': grantPk(grantId),
            ':from': `${REFUSAL_SK_PREFIX}${period.from}#`,
            ':to': `${REFUSAL_SK_PREFIX}${period.to}#${AFTER_ANY_EVENT_ID}`,
          },
          ProjectionExpression: 'eventId, #action, #at',
          ExpressionAttributeNames: { '#action': 'action', '#at': 'at' },
          // The recorder counts right after it wrote: it must see its own item.
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        })
      );
      for (const item of out.Items ?? []) calls.push({ eventId: item.eventId, action: item.action, at: item.at });
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return calls;
  }
}

export { DynamoActivityStore };
