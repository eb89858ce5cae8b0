import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { NotAuthenticatedError } from '../../domain/errors.js';
import type { Clock, TokenReplayGuard } from '../../ports.js';
import { tableDocument } from './tableDocument.js';
import { TTL_ATTRIBUTE } from './tableSchema.js';

/**
 * Used token ids in the grant table: `JTI#<issuer id>#<sha-256 of the jti>`, one conditional put
 * each, with DynamoDB TTL removing them once the token has expired. TTL deletes lazily (within
 * days), so the condition also accepts a leftover whose expiry has passed.
 */
class DynamoReplayGuard implements TokenReplayGuard {
  readonly #doc: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #clock: Clock;

  constructor(client: DynamoDBClient, tableName: string, clock: Clock) {
    // Document clients made from one DynamoDBClient share its config, translation options included:
    // keep the store's, or whichever is made last would change how the other marshals.
    this.#doc = tableDocument(client);
    this.#table = tableName;
    this.#clock = clock;
  }

  async consume(issuerId: string, jti: string, expiresAt: Date): Promise<void> {
    const digest = createHash('sha256').update(jti).digest('base64url');
    try {
      await this.#doc.send(
        new PutCommand({
          TableName: this.#table,
          Item: { PK: `JTI#${issuerId}#${digest}`, SK: 'JTI', [TTL_ATTRIBUTE]: Math.ceil(expiresAt.getTime() / 1000) },
          ConditionExpression: 'attribute_not_exists(PK) OR #ttl < :now',
          ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':now': Math.floor(this.#clock.now().getTime() / 1000) },
        })
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new NotAuthenticatedError(
          'TOKEN_REPLAYED',
          'this token was used before: each CI token is good for one call; mint a fresh one'
        );
      }
      throw error;
    }
  }
}

export { DynamoReplayGuard };
