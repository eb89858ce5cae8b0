import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type OutageCodes, outageError } from './awsErrors.js';

const TABLE_OUTAGES: OutageCodes = {
  service: 'the broker table (DynamoDB)',
  throttled: 'STORE_THROTTLED',
  unreachable: 'STORE_UNREACHABLE',
  failing: 'STORE_UNAVAILABLE',
};

/** The middleware's name: adding it again (another adapter on the same client) replaces it. */
const OUTAGE_MIDDLEWARE = 'jitTableOutages';

/**
 * The document client every table adapter uses. An outage of the table — DynamoDB throttling after
 * the SDK's retries, unreachable, or answering 5xx — becomes a ServiceUnavailableError here, once for
 * every adapter, so the caller gets 503 with a code to retry on instead of an unexpected 500. Errors
 * that are answers (a failed condition, a cancelled transaction) pass through for the adapter to read.
 * The document client shares `client`'s middleware stack, so the middleware sits on the client.
 */
const tableDocument = (client: DynamoDBClient): DynamoDBDocumentClient => {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        throw outageError(error, TABLE_OUTAGES) ?? error;
      }
    },
    { step: 'initialize', priority: 'high', name: OUTAGE_MIDDLEWARE, override: true }
  );
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
};

export { tableDocument };
