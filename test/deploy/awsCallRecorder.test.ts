import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  asFunction,
  forgetObservedCalls,
  type ObservedCall,
  observedCalls,
  readAwsCallsFile,
  unlistedCalls,
} from '../helpers/awsCallRecorder.js';
import { iamRequestsOf } from '../helpers/iamRequests.js';

const TABLE = 'arn:{Partition}:dynamodb:{Region}:{Account}:table/{GrantTable}';

/** A client whose calls fail at once (nothing listens on port 9): recording happens before sending. */
const unreachable = () =>
  new DynamoDBClient({
    endpoint: 'http://127.0.0.1:9',
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
  });

describe('the AWS call recorder', () => {
  it('records the IAM requests of calls made as a function, and nothing outside one', async () => {
    const client = unreachable();
    const documents = DynamoDBDocumentClient.from(client);
    try {
      await client.send(new GetItemCommand({ TableName: 't', Key: { PK: { S: 'x' } } })).catch(() => undefined);
      await asFunction('probe', async () => {
        await client.send(new GetItemCommand({ TableName: 't', Key: { PK: { S: 'x' } } })).catch(() => undefined);
        const write = new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: 't', Item: { PK: 'a' } } },
            { Update: { TableName: 't', Key: { PK: 'b' }, UpdateExpression: 'SET v = :v' } },
          ],
        });
        await documents.send(write).catch(() => undefined);
      });
      expect(observedCalls()).toEqual([
        // Each item's partition key, as IAM sees it in dynamodb:LeadingKeys.
        { function: 'probe', action: 'dynamodb:GetItem', resource: TABLE, context: { 'dynamodb:LeadingKeys': ['x'] } },
        { function: 'probe', action: 'dynamodb:PutItem', resource: TABLE, context: { 'dynamodb:LeadingKeys': ['a'] } },
        {
          function: 'probe',
          action: 'dynamodb:UpdateItem',
          resource: TABLE,
          context: { 'dynamodb:LeadingKeys': ['b'] },
        },
      ]);
    } finally {
      forgetObservedCalls('probe');
      client.destroy();
    }
  });

  it('translates what IAM authorizes, context included, and refuses calls nobody mapped', () => {
    expect(
      iamRequestsOf('STSClient', 'AssumeRoleCommand', {
        RoleArn: 'arn:aws:iam::123456789012:role/jit/prod-read',
        RoleSessionName: 'alice.g-01jd0000000000000000000000',
        SourceIdentity: 'g-01jd0000000000000000000000',
        Tags: [
          { Key: 'jit-role', Value: 'prod-read' },
          { Key: 'jit-grant-id', Value: 'g-01jd0000000000000000000000' },
        ],
      }).map((r) => [r.action, r.resource, r.context])
    ).toEqual(
      ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'].map((action) => [
        action,
        '{TargetRole}',
        { 'aws:TagKeys': ['jit-grant-id', 'jit-role'], 'sts:SourceIdentity': '{GrantId}' },
      ])
    );
    expect(() => iamRequestsOf('STSClient', 'GetSessionTokenCommand', {})).toThrow(
      'no IAM mapping for STS GetSessionToken'
    );
    expect(() => iamRequestsOf('SQSClient', 'SendMessageCommand', {})).toThrow('test/helpers/iamRequests.ts');
  });

  it('names the function, the call and what to run when a call is missing from awsCalls.json', () => {
    const call: ObservedCall = { function: 'finishGrant', action: 'sqs:SendMessage', resource: 'arn:aws:sqs:x:1:q' };
    expect(unlistedCalls([call], readAwsCallsFile())).toEqual([
      'finishGrant calls sqs:SendMessage on arn:aws:sqs:x:1:q, which test/deploy/awsCalls.json does not list: ' +
        'run `npm run test:aws-calls` and commit the file (test/deploy then checks that the deployed role allows it)',
    ]);
    const listed = readAwsCallsFile().calls.finishGrant?.[0];
    expect(listed && unlistedCalls([{ function: 'finishGrant', ...listed }], readAwsCallsFile())).toEqual([]);
  });
});
