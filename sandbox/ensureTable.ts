import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../functions/adapters/aws/tableSchema.js';

/** Creates the broker's table unless it exists already (a sandbox restarted on its data dir). */
const ensureTable = async (dynamo: DynamoDBClient, tableName: string): Promise<'created' | 'existing'> => {
  try {
    await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    return 'existing';
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  try {
    await dynamo.send(new CreateTableCommand(createTableInput(tableName)));
    return 'created';
  } catch (error) {
    if (error instanceof ResourceInUseException) return 'existing';
    throw error;
  }
};

export { ensureTable };
