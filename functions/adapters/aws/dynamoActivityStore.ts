import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  type NativeAttributeValue,
  QueryCommand,
  type QueryCommandInput,
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
 *   ACTIVITY#<hour>           a tally: the calls that only count (see #tally) made in that hour of
 *                             CloudTrail's event time, at most TALLY_CAPACITY of them: `calls`, the
 *                             `action:` counters, `firstUsedAt`, `lastUsedAt`, and `eventIds`, the
 *                             set of their event ids that makes the tally idempotent
 *   USE#<eventID>             one per CloudTrail event recorded by transaction: makes it idempotent and keeps the call
 *   LATE#<at>#<eventID>       one per call after the grant's end (beyond the grace): the audit lists them, earliest first
 *   REFUSAL#<at>#<eventID>    one per refused call while the grant was live: anomaly rules count them by time
 *
 * A grant's counts are the summary plus its tallies: one Query reads them all (`begins_with ACTIVITY`).
 */
const ACTIVITY_SK = 'ACTIVITY';
/** `2026-11-23T09:05:00.000Z` → `ACTIVITY#2026-11-23T09`: the hour of the call, as CloudTrail timed it. */
const tallySk = (use: ActivityUse) => `${ACTIVITY_SK}#${use.at.slice(0, 'yyyy-mm-ddThh'.length)}`;
/**
 * Event ids one tally keeps. They bound its size (≈ 37 bytes an id: 100 ≈ 4 KB with the counters,
 * so a tallied call costs about the 4 write units the transaction did at most, docs/audit.md) and so
 * what a read of the grant's counts costs: at most one full tally per hour of the grant's life.
 */
const TALLY_CAPACITY = 100;
/** Full tallies this process remembers (their ids: ≈ 4 KB each), forgotten all at once past this many. */
const FULL_TALLIES_KEPT = 200;
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

/** An item as the document client reads it. */
type StoredItem = Record<string, NativeAttributeValue>;

/**
 * The summary and the tallies read as one summary: the counters add up, the first use is the
 * earliest of theirs, the last use the latest; the times after the end are only in the summary.
 */
const addedUp = (items: readonly StoredItem[]): StoredItem => {
  const summary = items.find((item) => item.SK === ACTIVITY_SK) ?? {};
  const total: StoredItem = { ...summary };
  for (const tally of items) {
    if (tally === summary) continue;
    for (const [name, value] of Object.entries(tally)) {
      if (typeof value === 'number') total[name] = Number(total[name] ?? 0) + value;
    }
  }
  const times = (name: string) =>
    items
      .map((item) => item[name])
      .filter((at): at is string => typeof at === 'string')
      .sort();
  return { ...total, firstUsedAt: times('firstUsedAt')[0], lastUsedAt: times('lastUsedAt').at(-1) };
};

class DynamoActivityStore implements ActivityStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  /**
   * The event ids of tallies found full, by key. A full tally never changes again (every update
   * needs fewer ids than TALLY_CAPACITY, and ids are only ever added), so what it holds answers
   * for any later call of its hour without asking: a busy hour's calls past the tally cost the
   * transaction alone, not a failed update too (a failed conditional write is charged like one).
   */
  readonly #fullTallies = new Map<string, ReadonlySet<string>>();

  constructor(client: DynamoDBClient, tableName: string) {
    this.#doc = tableDocument(client);
    this.#table = tableName;
  }

  /**
   * A call that only counts (neither refused nor after the end: nothing to list, nothing for the
   * anomaly rules) is tallied with one UpdateItem. Others, and the calls a tally turns away, go
   * through the transaction.
   */
  async record(use: ActivityUse, filed: CallClass): Promise<'recorded' | 'duplicate'> {
    if (filed.phase !== 'after-end' && filed.outcome !== 'refused') {
      const tallied = await this.#tally(use);
      if (tallied !== 'turned away') return tallied;
    }
    return this.#transact(use, filed);
  }

  /**
   * One UpdateItem on the tally of the call's hour: counted and its id added to `eventIds` unless
   * the id is there already (a redelivery: `duplicate`), the tally is full, or it holds a later call
   * (then the first/last-use times could not move with a plain SET). What turns a call away stays
   * true for that call for good — `eventIds` only grows, `lastUsedAt` only moves later — so a
   * redelivery of a call the transaction recorded is turned away again and finds its marker there.
   */
  async #tally(use: ActivityUse): Promise<'recorded' | 'duplicate' | 'turned away'> {
    const key = { PK: grantPk(use.grantId), SK: tallySk(use) };
    const full = this.#fullTallies.get(`${key.PK} ${key.SK}`);
    if (full !== undefined) return full.has(use.eventId) ? 'duplicate' : 'turned away';
    try {
      await this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: key,
          UpdateExpression:
            'SET firstUsedAt = if_not_exists(firstUsedAt, :at), lastUsedAt = :at ADD eventIds :ids, calls :one, #action :one',
          ConditionExpression:
            'attribute_not_exists(eventIds) OR (NOT contains(eventIds, :id) AND size(eventIds) < :capacity AND lastUsedAt <= :at)',
          ExpressionAttributeNames: { '#action': `${ACTION_ATTRIBUTE_PREFIX}${use.action}` },
          ExpressionAttributeValues: {
            ':at': use.at,
            ':ids': new Set([use.eventId]),
            ':id': use.eventId,
            ':capacity': TALLY_CAPACITY,
            ':one': 1,
          },
          // Which condition failed, without a read: the tally as the condition saw it.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        })
      );
      return 'recorded';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The item comes back as DynamoDB attribute values: the document client does not translate errors.
      const ids = error.Item?.eventIds?.SS ?? [];
      if (ids.length >= TALLY_CAPACITY) {
        if (this.#fullTallies.size >= FULL_TALLIES_KEPT) this.#fullTallies.clear();
        this.#fullTallies.set(`${key.PK} ${key.SK}`, new Set(ids));
      }
      return ids.includes(use.eventId) ? 'duplicate' : 'turned away';
    }
  }

  /**
   * One transaction — one request: the event's marker (only if new), its late-call or refusal item,
   * and the counters, so a redelivered event counts nothing twice. In order (a call no earlier than
   * the last one recorded, the common case), the first/last-use times move in the same update. A call
   * that comes out of order is counted without them, and the times then move outwards with
   * conditional updates, as do the times after the end — on duplicates too, so a delivery that
   * failed half-way is completed by its retry (min and max are idempotent).
   */
  async #transact(use: ActivityUse, filed: CallClass): Promise<'recorded' | 'duplicate'> {
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
    const [counts, late] = await Promise.all([
      this.#queryAll({
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :activity)',
        ExpressionAttributeValues: { ':pk': pk, ':activity': ACTIVITY_SK },
        ConsistentRead: true,
      }),
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
    if (counts.length === 0) return NO_ACTIVITY(grantId);
    const Item = addedUp(counts);
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
    const items = await this.#queryAll({
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
    });
    return items.map((item) => ({ eventId: item.eventId, action: item.action, at: item.at }));
  }

  /** Every item a query matches, page after page. */
  async #queryAll(query: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<StoredItem[]> {
    const items: StoredItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.#doc.send(
        new QueryCommand({ ...query, TableName: this.#table, ExclusiveStartKey: startKey })
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }
}

export { DynamoActivityStore, TALLY_CAPACITY };
