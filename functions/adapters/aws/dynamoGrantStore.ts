import { type DynamoDBClient, ResourceNotFoundException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { AuditEvent } from '../../domain/auditChain.js';
import { ConcurrentUpdateError, ServiceUnavailableError } from '../../domain/errors.js';
import type { Grant, KillRecord, Transition } from '../../domain/grant.js';
import type { GrantState } from '../../domain/grantState.js';
import type { GrantStore, KillApplied, KillScope, Page, PageRequest, StoredKill } from '../../ports.js';
import {
  EVENT_SK_PREFIX,
  eventToItem,
  GRANT_SK,
  grantPk,
  grantToItem,
  itemToEvent,
  itemToGrant,
  itemToKill,
  KILL_PARTITION,
  killPk,
  killSk,
  killToItem,
  requesterPk,
  rolePk,
  statePk,
} from './grantItems.js';
import { decodeCursor, encodeCursor } from './pageCursor.js';
import { tableDocument } from './tableDocument.js';
import { INDEXES, type IndexName } from './tableSchema.js';

/** Event items are written once: a second writer of the same sequence number loses. */
const appendOnly = 'attribute_not_exists(PK)';

/** The attribute that records when each scope's policy first included a kill. */
const APPLIED_MARK: Readonly<Record<KillScope, keyof StoredKill>> = { role: 'appliedAt', organization: 'orgAppliedAt' };
/** DynamoDB takes up to 100 items per transaction; a kill's mark is three. */
const MARKS_PER_TRANSACTION = 33;
/** DynamoDB's BatchGetItem takes up to 100 keys. */
const GRANTS_PER_BATCH_GET = 100;
/** The position of the kill record's update among a mark's three items. */
const MARK_ITEM = 2;

/**
 * Which marks of a cancelled mark transaction failed: 'skip' when only the kill's own condition
 * failed (already marked, or the record is gone), 'moved' when the grant changed or another
 * transaction was writing the same items. Undefined when the transaction failed for another reason
 * (or no item says why), which the caller rethrows.
 */
const failedMarks = (error: unknown): Map<number, 'skip' | 'moved'> | undefined => {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  const failed = new Map<number, 'skip' | 'moved'>();
  (error.CancellationReasons ?? []).forEach((reason, index) => {
    const code = reason.Code ?? 'None';
    if (code !== 'ConditionalCheckFailed' && code !== 'TransactionConflict') return;
    const mark = Math.floor(index / 3);
    const skip = code === 'ConditionalCheckFailed' && index % 3 === MARK_ITEM;
    if (!skip || !failed.has(mark)) failed.set(mark, skip ? 'skip' : 'moved');
  });
  return failed.size === 0 ? undefined : failed;
};

class DynamoGrantStore implements GrantStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.#doc = tableDocument(client);
    this.#table = tableName;
  }

  /** The grant as it stands after the last transition, and each event, none of them there before. */
  async create(opened: Transition, then?: Transition): Promise<void> {
    const { grant } = then ?? opened;
    const events = then === undefined ? [opened.event] : [opened.event, then.event];
    await this.#write(grant.id, [
      { Put: { TableName: this.#table, Item: grantToItem(grant), ConditionExpression: appendOnly } },
      ...events.map((event) => ({
        Put: { TableName: this.#table, Item: eventToItem(event), ConditionExpression: appendOnly },
      })),
    ]);
  }

  async transition(from: Grant, to: Transition): Promise<void> {
    await this.#write(to.grant.id, [
      ...this.#transitionItems(from, to),
      ...(to.kill === undefined ? [] : [{ Put: { TableName: this.#table, Item: killToItem(to.kill) } }]),
    ]);
  }

  /**
   * Up to MARKS_PER_TRANSACTION kills per transaction (three items each: the grant, its event, the
   * kill's mark). A cancelled transaction writes nothing and says which items failed: those kills
   * leave the batch — already marked (skipped) or their grant moved (answered) — and the rest are
   * written again, so N kills cost about N/33 transactions, not N.
   */
  async recordKillsApplied(applied: readonly KillApplied[]): Promise<readonly KillApplied[]> {
    const moved: KillApplied[] = [];
    for (let start = 0; start < applied.length; start += MARKS_PER_TRANSACTION) {
      let batch = applied.slice(start, start + MARKS_PER_TRANSACTION);
      while (batch.length > 0) {
        try {
          await this.#call(() =>
            this.#doc.send(new TransactWriteCommand({ TransactItems: batch.flatMap((a) => this.#appliedItems(a)) }))
          );
          batch = [];
        } catch (error) {
          const failed = failedMarks(error);
          if (failed === undefined) throw error;
          for (const [index, outcome] of failed) if (outcome === 'moved') moved.push(batch[index] as KillApplied);
          batch = batch.filter((_, index) => !failed.has(index));
        }
      }
    }
    return moved;
  }

  /** The grant and its `grant.sessions-killed` event, and the kill record's mark for the scope (once). */
  #appliedItems(applied: KillApplied) {
    const { kill, scope, from, to } = applied;
    return [
      ...this.#transitionItems(from, to),
      {
        Update: {
          TableName: this.#table,
          Key: { PK: killPk(kill.roleArn), SK: killSk(kill.grantId) },
          UpdateExpression: 'SET #mark = :at',
          ConditionExpression: 'attribute_exists(PK) AND attribute_not_exists(#mark)',
          ExpressionAttributeNames: { '#mark': APPLIED_MARK[scope] },
          ExpressionAttributeValues: { ':at': to.event.at },
        },
      },
    ];
  }

  async recordKillPruned(from: Grant, to: Transition, kill: KillRecord): Promise<void> {
    await this.#write(to.grant.id, [
      ...this.#transitionItems(from, to),
      {
        Delete: {
          TableName: this.#table,
          Key: { PK: killPk(kill.roleArn), SK: killSk(kill.grantId) },
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
    ]);
  }

  async listKills(roleArn: string): Promise<readonly StoredKill[]> {
    return this.#queryAll({
      TableName: this.#table,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': killPk(roleArn) },
      ConsistentRead: true,
    });
  }

  async listAllKills(): Promise<readonly StoredKill[]> {
    const keys = INDEXES.byState;
    return this.#queryAll({
      TableName: this.#table,
      IndexName: 'byState',
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': keys.pk },
      ExpressionAttributeValues: { ':pk': KILL_PARTITION },
    });
  }

  async deleteKill(kill: KillRecord): Promise<void> {
    await this.#call(() =>
      this.#doc.send(
        new DeleteCommand({ TableName: this.#table, Key: { PK: killPk(kill.roleArn), SK: killSk(kill.grantId) } })
      )
    );
  }

  /** The grant (only from the state and version it was read at) and its next event (only once). */
  #transitionItems(from: Grant, { grant, event }: Transition) {
    return [
      {
        Put: {
          TableName: this.#table,
          Item: grantToItem(grant),
          ConditionExpression: '#state = :state AND #version = :version',
          ExpressionAttributeNames: { '#state': 'state', '#version': 'version' },
          ExpressionAttributeValues: { ':state': from.state, ':version': from.version },
        },
      },
      { Put: { TableName: this.#table, Item: eventToItem(event), ConditionExpression: appendOnly } },
    ];
  }

  async #queryAll(input: QueryCommandInput): Promise<StoredKill[]> {
    const items: StoredKill[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.#call(() => this.#doc.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey })));
      items.push(...(out.Items ?? []).map(itemToKill));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }

  async get(id: string): Promise<Grant | undefined> {
    const { Item } = await this.#call(() =>
      this.#doc.send(
        new GetCommand({ TableName: this.#table, Key: { PK: grantPk(id), SK: GRANT_SK }, ConsistentRead: true })
      )
    );
    return Item === undefined ? undefined : itemToGrant(Item);
  }

  /** BatchGetItem, 100 keys a request; keys DynamoDB leaves unprocessed (throttling) are asked again. */
  async getMany(ids: readonly string[]): Promise<readonly Grant[]> {
    const grants: Grant[] = [];
    const unique = [...new Set(ids)];
    for (let start = 0; start < unique.length; start += GRANTS_PER_BATCH_GET) {
      let keys: Record<string, unknown>[] | undefined = unique
        .slice(start, start + GRANTS_PER_BATCH_GET)
        .map((id) => ({ PK: grantPk(id), SK: GRANT_SK }));
      for (let round = 1; keys !== undefined && keys.length > 0; round++) {
        if (round > 1) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** round)));
        const request = { [this.#table]: { Keys: keys, ConsistentRead: true } };
        const out = await this.#call(() => this.#doc.send(new BatchGetCommand({ RequestItems: request })));
        grants.push(...(out.Responses?.[this.#table] ?? []).map(itemToGrant));
        keys = out.UnprocessedKeys?.[this.#table]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return grants;
  }

  listByRequester(userId: string, page: PageRequest): Promise<Page<Grant>> {
    return this.#queryIndex('byRequester', requesterPk(userId), page, false);
  }

  listByState(state: GrantState, page: PageRequest): Promise<Page<Grant>> {
    return this.#queryIndex('byState', statePk(state), page, true);
  }

  listByRole(roleId: string, page: PageRequest): Promise<Page<Grant>> {
    return this.#queryIndex('byRole', rolePk(roleId), page, false);
  }

  async auditTrail(grantId: string): Promise<readonly AuditEvent[]> {
    const events: AuditEvent[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.#call(() =>
        this.#doc.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: 'PK = :pk AND begins_with(SK, :events)',
            ExpressionAttributeValues: { ':pk': grantPk(grantId), ':events': EVENT_SK_PREFIX },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          })
        )
      );
      events.push(...(out.Items ?? []).map(itemToEvent));
      startKey = out.LastEvaluatedKey;
    } while (startKey !== undefined);
    return events;
  }

  async #queryIndex(index: IndexName, partition: string, page: PageRequest, ascending: boolean): Promise<Page<Grant>> {
    const keys = INDEXES[index];
    const input: QueryCommandInput = {
      TableName: this.#table,
      IndexName: index,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': keys.pk },
      ExpressionAttributeValues: { ':pk': partition },
      ScanIndexForward: ascending,
      Limit: page.limit,
      ExclusiveStartKey: decodeCursor(page.cursor, { index: keys, partition }),
    };
    const out = await this.#call(() => this.#doc.send(new QueryCommand(input)));
    const nextCursor = encodeCursor(out.LastEvaluatedKey);
    return { items: (out.Items ?? []).map(itemToGrant), ...(nextCursor ? { nextCursor } : {}) };
  }

  async #write(
    grantId: string,
    items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>
  ): Promise<void> {
    try {
      await this.#call(() => this.#doc.send(new TransactWriteCommand({ TransactItems: items })));
    } catch (error) {
      // A failed condition or a conflicting transaction both mean: someone else moved this grant.
      if (error instanceof TransactionCanceledException) {
        const codes = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
        if (codes.some((c) => c === 'ConditionalCheckFailed' || c === 'TransactionConflict')) {
          throw new ConcurrentUpdateError(
            'CONCURRENT_UPDATE',
            `grant ${grantId} was changed by someone else at the same time; read it again and retry`,
            { cause: error }
          );
        }
      }
      throw error;
    }
  }

  /** A missing table is a deployment problem, reported as unavailable rather than a 500. */
  async #call<T>(send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        throw new ServiceUnavailableError('STORE_UNAVAILABLE', `the grant table ${this.#table} does not exist`, {
          cause: error,
        });
      }
      throw error;
    }
  }
}

export { DynamoGrantStore };
