import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Emulators accept any credentials; fixed ones keep every sandbox client on the same data. */
const LOCAL_CREDENTIALS = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' };
const LOCAL_REGION = 'us-east-1';
/** The emulator's one account (moto_server's default). */
const LOCAL_ACCOUNT = '123456789012';

const localDynamo = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });

export { LOCAL_ACCOUNT, LOCAL_CREDENTIALS, LOCAL_REGION, localDynamo };
