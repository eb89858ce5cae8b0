import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoGrantStore } from '../adapters/aws/dynamoGrantStore.js';
import { configGroupDirectory } from '../adapters/configGroupDirectory.js';
import { systemClock } from '../adapters/systemClock.js';
import { ulidIds } from '../adapters/ulidIds.js';
import type { BrokerDeps } from '../app/deps.js';
import type { BrokerConfig } from '../config/brokerConfig.js';
import type { Clock, Logger } from '../ports.js';

/** Wires the use cases to their adapters. Lambda, the sandbox and the tests all compose here. */
const composeBroker = (input: {
  config: BrokerConfig;
  dynamo: DynamoDBClient;
  tableName: string;
  logger: Logger;
  clock?: Clock;
}): BrokerDeps => {
  const clock = input.clock ?? systemClock;
  return {
    config: input.config,
    store: new DynamoGrantStore(input.dynamo, input.tableName),
    clock,
    ids: ulidIds(() => clock.now().getTime()),
    directory: configGroupDirectory(input.config.groups),
    logger: input.logger,
  };
};

export { composeBroker };
