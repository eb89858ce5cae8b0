import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
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
  NO_ACTIVITY,
} from '../../domain/activity.js';
import type { ActivityStore } from '../../ports.js';
import { grantPk } from './grantItems.js';

/**
 * Activity items live in the grant's partition (see tableSchema.ts):
 *
 *   ACTIVITY          the summary: `calls`, `afterEndCount`, one `action:<service:Action>` counter
 *                     per action used (top-level, so UpdateItem ADD works), `firstUsedAt`, `lastUsedAt`
 *   USE#<eventID>     one per CloudTrail event: makes recording idempotent and keeps the call
 *   LATE#<eventID>    one per call after the grant's end (beyond the grace): the audit lists them
 */
const ACTIVITY_SK = 'ACTIVITY';
const ACTION_ATTRIBUTE_PREFIX = 'action:';
const useSk = (eventId: string) => `USE#${eventId}`;
const LATE_SK_PREFIX = 'LATE#';

const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException ||
  (error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed'));

class DynamoActivityStore implements ActivityStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.#doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.#table = tableName;
  }

  /**
   * One transaction: the event's marker (only if new), its late-call item, and the counters. Then
   * first/last use move outwards with conditional updates — on duplicates too, so a delivery that
   * failed half-way is completed by its retry (min and max are idempotent).
   */
  async record(use: ActivityUse, afterEnd: boolean): Promise<'recorded' | 'duplicate'> {
    const pk = grantPk(use.grantId);
    const call = {
      eventId: use.eventId,
      action: use.action,
      at: use.at,
      accessKeyId: use.accessKeyId,
      errorCode: use.errorCode,
    };
    let outcome: 'recorded' | 'duplicate' = 'recorded';
    try {
      await this.#doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.#table,
                Item: { PK: pk, SK: useSk(use.eventId), ...call, afterEnd },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
            ...(afterEnd
              ? [{ Put: { TableName: this.#table, Item: { PK: pk, SK: `${LATE_SK_PREFIX}${use.eventId}`, ...call } } }]
              : []),
            {
              Update: {
                TableName: this.#table,
                Key: { PK: pk, SK: ACTIVITY_SK },
                UpdateExpression: `SET grantId = :grant ADD calls :one, #action :one${afterEnd ? ', afterEndCount :one' : ''}`,
                ExpressionAttributeNames: { '#action': `${ACTION_ATTRIBUTE_PREFIX}${use.action}` },
                ExpressionAttributeValues: { ':grant': use.grantId, ':one': 1 },
              },
            },
          ],
        })
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      outcome = 'duplicate';
    }
    // Two attributes, two conditions: independent, so sent together.
    await Promise.all([this.#widen(pk, 'firstUsedAt', '>', use.at), this.#widen(pk, 'lastUsedAt', '<', use.at)]);
    return outcome;
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
    const actions = Object.fromEntries(
      Object.entries(Item)
        .filter(([name]) => name.startsWith(ACTION_ATTRIBUTE_PREFIX))
        .map(([name, count]) => [name.slice(ACTION_ATTRIBUTE_PREFIX.length), Number(count)])
    );
    const afterEnd: LateCall[] = (late.Items ?? [])
      .map((i) => ({
        eventId: i.eventId,
        action: i.action,
        at: i.at,
        ...(i.errorCode ? { errorCode: i.errorCode } : {}),
      }))
      .sort((a, b) => a.at.localeCompare(b.at));
    return {
      grantId,
      actions,
      calls: Number(Item.calls ?? 0),
      ...(Item.firstUsedAt ? { firstUsedAt: Item.firstUsedAt } : {}),
      ...(Item.lastUsedAt ? { lastUsedAt: Item.lastUsedAt } : {}),
      afterEndCount: Number(Item.afterEndCount ?? 0),
      afterEnd,
    };
  }
}

export { DynamoActivityStore };
