import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { KillLease, KillLeases } from '../../ports.js';
import { killLeaseKey } from './grantItems.js';
import { tableDocument } from './tableDocument.js';
import { TTL_ATTRIBUTE } from './tableSchema.js';

/** A lapsed lease item is left to DynamoDB TTL a day later: the next claim overwrites it anyway. */
const TTL_AFTER_LAPSE_SECONDS = 86_400;

const ttl = (until: Date): number => Math.ceil(until.getTime() / 1000) + TTL_AFTER_LAPSE_SECONDS;

/** A failed condition is an answer here, not an error. */
const unlessConditionFails = async <T>(write: () => Promise<T>): Promise<T | undefined> => {
  try {
    return await write();
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
};

/**
 * Kill leases as one item per target in the grant table (`KILLLEASE#<target>`, `LEASE`): a
 * conditional put claims it, a counter (`notices`) carries the announcements, and every write by
 * the holder is conditional on its random token, so a holder that was taken over cannot touch the
 * new holder's lease. Expiry (`expiresAt`, epoch ms) compares the callers' clocks.
 */
class DynamoKillLeases implements KillLeases {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, tableName: string) {
    // Same translation options as the store's (see DynamoReplayGuard).
    this.#doc = tableDocument(client);
    this.#table = tableName;
  }

  async claim(target: string, now: Date, until: Date): Promise<KillLease | undefined> {
    const lease = { token: randomUUID(), notices: 0 };
    const claimed = await unlessConditionFails(() =>
      this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...killLeaseKey(target), ...lease, expiresAt: until.getTime(), [TTL_ATTRIBUTE]: ttl(until) },
          ConditionExpression: 'attribute_not_exists(PK) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': now.getTime() },
        })
      )
    );
    return claimed === undefined ? undefined : lease;
  }

  async notify(target: string, now: Date): Promise<boolean> {
    const notified = await unlessConditionFails(() =>
      this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: killLeaseKey(target),
          UpdateExpression: 'ADD notices :one',
          ConditionExpression: 'attribute_exists(PK) AND expiresAt >= :now',
          ExpressionAttributeValues: { ':one': 1, ':now': now.getTime() },
        })
      )
    );
    return notified !== undefined;
  }

  async renew(target: string, lease: KillLease, until: Date): Promise<KillLease | undefined> {
    const renewed = await unlessConditionFails(() =>
      this.#doc.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: killLeaseKey(target),
          UpdateExpression: 'SET expiresAt = :until, #ttl = :ttl',
          ConditionExpression: '#token = :token',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE, '#token': 'token' },
          ExpressionAttributeValues: { ':until': until.getTime(), ':ttl': ttl(until), ':token': lease.token },
          ReturnValues: 'ALL_NEW',
        })
      )
    );
    return renewed === undefined ? undefined : { token: lease.token, notices: Number(renewed.Attributes?.notices) };
  }

  async release(target: string, lease: KillLease, force = false): Promise<'released' | 'notified' | 'lost'> {
    try {
      await this.#doc.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: killLeaseKey(target),
          ConditionExpression: force ? '#token = :token' : '#token = :token AND notices = :notices',
          ExpressionAttributeNames: { '#token': 'token' },
          ExpressionAttributeValues: { ':token': lease.token, ...(force ? {} : { ':notices': lease.notices }) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        })
      );
      return 'released';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Still ours: kills were announced meanwhile. Gone or someone else's: taken over.
      return error.Item?.token?.S === lease.token ? 'notified' : 'lost';
    }
  }
}

export { DynamoKillLeases };
