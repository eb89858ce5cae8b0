import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type OutageCodes, outageError, outageOf } from './awsErrors.js';

const TABLE_OUTAGES: OutageCodes = {
  service: 'the broker table (DynamoDB)',
  throttled: 'STORE_THROTTLED',
  unreachable: 'STORE_UNREACHABLE',
  failing: 'STORE_UNAVAILABLE',
};

/**
 * A transaction DynamoDB cancelled only because an item's partition was throttled: an outage, not
 * an answer (a failed condition or a conflict among the items still is one, for the adapter to read).
 */
const throttledTransaction = (error: unknown): boolean => {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return false;
  const codes = ((error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((r) => r.Code);
  return codes.includes('ThrottlingError') && codes.every((code) => code === 'ThrottlingError' || code === 'None');
};

/** The middleware's name: adding it again (another adapter on the same client) replaces it. */
const OUTAGE_MIDDLEWARE = 'jitTableOutages';

/**
 * The document client every table adapter uses. An outage of the table — DynamoDB throttling after
 * the SDK's retries, unreachable, or answering 5xx — becomes a ServiceUnavailableError here, once for
 * every adapter, so the caller gets 503 with a code to retry on instead of an unexpected 500. Errors
 * that are answers (a failed condition, a transaction cancelled by one) pass through for the adapter
 * to read.
 * The document client shares `client`'s middleware stack, so the middleware sits on the client.
 */
const tableDocument = (client: DynamoDBClient): DynamoDBDocumentClient => {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw (
          outageError(
            error,
            TABLE_OUTAGES,
            outageOf(error) ?? (throttledTransaction(error) ? 'throttled' : undefined)
          ) ?? error
        );
      }
    },
    { step: 'initialize', priority: 'high', name: OUTAGE_MIDDLEWARE, override: true }
  );
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
};

export { tableDocument };
