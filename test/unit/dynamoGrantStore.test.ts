import {
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoGrantStore } from '../../functions/adapters/aws/dynamoGrantStore.js';
import type { Caller } from '../../functions/domain/caller.js';
import type { CatalogRole } from '../../functions/domain/catalog.js';
import { approve, autoApprove } from '../../functions/domain/decisions.js';
import { ConcurrentUpdateError, ServiceUnavailableError } from '../../functions/domain/errors.js';
import { type ApprovalRule, openGrant, type Transition } from '../../functions/domain/grant.js';

/**
 * The store wraps its DynamoDBClient with DynamoDBDocumentClient.from, and the document client's
 * commands do not go through DynamoDBClient.prototype.send, so the document client is what we mock.
 */
const documentClient = mockClient(DynamoDBDocumentClient);

const TABLE = 'jit-grants-test';
// An endpoint nothing listens on: if the mock ever stopped intercepting, nothing would leave the host.
const dynamo = new DynamoDBClient({
  region: 'us-east-1',
  endpoint: 'http://127.0.0.1:9',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
});
const store = new DynamoGrantStore(dynamo, TABLE);

const ROLE: CatalogRole = {
  id: 'prod-read',
  description: 'Read-only access to production data stores',
  roleArn: 'arn:aws:iam::111122223333:role/jit/prod-read',
  accountId: '111122223333',
  maxDurationSeconds: 4 * 3600,
  scopeCeiling: { actions: ['s3:Get*'], resources: ['*'] },
};
const RULE: ApprovalRule = {
  approvers: ['group:sre'],
  required: 1,
  pendingWindowSeconds: 7200,
  maxDurationSeconds: 43_200,
  source: ['test'],
};
const bob: Caller = { userId: 'bob', groups: ['sre'] };
const T0 = new Date('2026-11-23T09:00:00.000Z');

const opened: Transition = openGrant({
  id: 'g-01jtest0000000000000000000',
  requester: 'alice',
  request: {
    role: 'prod-read',
    scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] },
    durationSeconds: 1800,
    reason: 'debug the failing nightly export',
  },
  role: ROLE,
  rule: RULE,
  catalogVersion: '2026-11-23.1',
  narrowed: { sessionPolicy: '{"Version":"2012-10-17","Statement":[]}', privilegeWidth: 1 },
  now: T0,
});
const approved: Transition = approve(opened.grant, bob, new Date(T0.getTime() + 60_000));

const canceled = (reasons: { Code: string }[]) =>
  new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
    $metadata: {},
    CancellationReasons: reasons,
  });

const rejectionOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('expected the store call to fail');
    },
    (error: unknown) => error
  );

beforeEach(() => {
  documentClient.reset();
});

afterAll(() => {
  documentClient.restore();
  dynamo.destroy();
});

describe('DynamoGrantStore', () => {
  describe('transition', () => {
    it('writes the grant on condition of the state and version it was read at', async () => {
      documentClient.on(TransactWriteCommand).resolves({});
      await store.transition(opened.grant, approved);

      const calls = documentClient.commandCalls(TransactWriteCommand);
      expect(calls).toHaveLength(1);
      const items = calls[0]!.args[0].input.TransactItems!;
      expect(items).toHaveLength(2);

      const grantPut = items[0]!.Put!;
      expect(grantPut.TableName).toBe(TABLE);
      expect(grantPut.Item).toMatchObject({
        PK: 'GRANT#g-01jtest0000000000000000000',
        SK: 'GRANT',
        state: 'APPROVED',
        version: 2,
      });
      expect(grantPut.ConditionExpression).toBe('#state = :state AND #version = :version');
      expect(grantPut.ExpressionAttributeNames).toEqual({ '#state': 'state', '#version': 'version' });
      expect(grantPut.ExpressionAttributeValues).toEqual({ ':state': 'PENDING', ':version': 1 });

      const eventPut = items[1]!.Put!;
      expect(eventPut.TableName).toBe(TABLE);
      expect(eventPut.Item).toMatchObject({
        PK: 'GRANT#g-01jtest0000000000000000000',
        SK: 'EVENT#00000002',
        seq: 2,
        hash: approved.event.hash,
        prevHash: opened.event.hash,
      });
      expect(eventPut.ConditionExpression).toBe('attribute_not_exists(PK)');
    });

    it('rejects a condition failure on the grant with CONCURRENT_UPDATE', async () => {
      const cause = canceled([{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }]);
      documentClient.on(TransactWriteCommand).rejects(cause);
      const error = await rejectionOf(store.transition(opened.grant, approved));
      expect(error).toBeInstanceOf(ConcurrentUpdateError);
      expect(error).toMatchObject({ code: 'CONCURRENT_UPDATE', kind: 'conflict', cause });
      expect((error as Error).message).toContain('g-01jtest0000000000000000000');
    });

    it('rejects a condition failure on the event with CONCURRENT_UPDATE', async () => {
      documentClient.on(TransactWriteCommand).rejects(canceled([{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }]));
      await expect(store.transition(opened.grant, approved)).rejects.toMatchObject({ code: 'CONCURRENT_UPDATE' });
    });

    it('rejects a conflicting transaction with CONCURRENT_UPDATE', async () => {
      documentClient.on(TransactWriteCommand).rejects(canceled([{ Code: 'TransactionConflict' }, { Code: 'None' }]));
      const error = await rejectionOf(store.transition(opened.grant, approved));
      expect(error).toBeInstanceOf(ConcurrentUpdateError);
      expect(error).toMatchObject({ code: 'CONCURRENT_UPDATE' });
    });

    it('passes through a cancellation for any other reason unchanged', async () => {
      const cause = canceled([{ Code: 'ValidationError' }, { Code: 'None' }]);
      documentClient.on(TransactWriteCommand).rejects(cause);
      expect(await rejectionOf(store.transition(opened.grant, approved))).toBe(cause);
    });

    it('rejects a missing table with STORE_UNAVAILABLE', async () => {
      const cause = new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} });
      documentClient.on(TransactWriteCommand).rejects(cause);
      const error = await rejectionOf(store.transition(opened.grant, approved));
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', kind: 'unavailable', cause });
      expect((error as Error).message).toContain(TABLE);
    });

    it('passes through throttling unchanged', async () => {
      const cause = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
      documentClient.on(TransactWriteCommand).rejects(cause);
      expect(await rejectionOf(store.transition(opened.grant, approved))).toBe(cause);
    });
  });

  describe('create', () => {
    it('writes the grant and its first event only if neither exists yet', async () => {
      documentClient.on(TransactWriteCommand).resolves({});
      await store.create(opened);
      const items = documentClient.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
      expect(items.map((i) => i.Put?.ConditionExpression)).toEqual([
        'attribute_not_exists(PK)',
        'attribute_not_exists(PK)',
      ]);
      expect(items.map((i) => i.Put?.Item?.SK)).toEqual(['GRANT', 'EVENT#00000001']);
      expect(items[0]!.Put!.Item).toMatchObject({
        GSI1PK: 'USER#alice',
        GSI2PK: 'STATE#PENDING',
        GSI3PK: 'ROLE#prod-read',
      });
    });

    it('writes a policy approval decided with the request in the same transaction: the approved grant and both events', async () => {
      documentClient.on(TransactWriteCommand).resolves({});
      const approvedAtOnce = autoApprove(opened.grant, 'auto', new Date('2026-11-23T09:00:01.000Z'));
      await store.create(opened, approvedAtOnce);
      expect(documentClient.commandCalls(TransactWriteCommand)).toHaveLength(1);
      const items = documentClient.commandCalls(TransactWriteCommand)[0]!.args[0].input.TransactItems!;
      expect(items.map((i) => i.Put?.Item?.SK)).toEqual(['GRANT', 'EVENT#00000001', 'EVENT#00000002']);
      expect(items.map((i) => i.Put?.ConditionExpression)).toEqual(Array(3).fill('attribute_not_exists(PK)'));
      expect(items[0]!.Put!.Item).toMatchObject({ state: 'APPROVED', GSI2PK: 'STATE#APPROVED', version: 2 });
      expect(items.slice(1).map((i) => i.Put?.Item?.type)).toEqual(['grant.requested', 'grant.auto-approved']);
    });

    it('rejects an id that is already taken with CONCURRENT_UPDATE', async () => {
      documentClient
        .on(TransactWriteCommand)
        .rejects(canceled([{ Code: 'ConditionalCheckFailed' }, { Code: 'ConditionalCheckFailed' }]));
      await expect(store.create(opened)).rejects.toBeInstanceOf(ConcurrentUpdateError);
    });
  });

  describe('get', () => {
    it('reads consistently and strips the table keys', async () => {
      documentClient.on(GetCommand).resolves({
        Item: {
          ...opened.grant,
          PK: 'GRANT#g-01jtest0000000000000000000',
          SK: 'GRANT',
          GSI1PK: 'USER#alice',
          GSI1SK: 'x',
        },
      });
      expect(await store.get(opened.grant.id)).toEqual(opened.grant);
      expect(documentClient.commandCalls(GetCommand)[0]!.args[0].input).toEqual({
        TableName: TABLE,
        Key: { PK: 'GRANT#g-01jtest0000000000000000000', SK: 'GRANT' },
        ConsistentRead: true,
      });
    });

    it('returns undefined for an unknown id', async () => {
      documentClient.on(GetCommand).resolves({});
      expect(await store.get('g-unknown')).toBeUndefined();
    });

    it('rejects a missing table with STORE_UNAVAILABLE', async () => {
      documentClient
        .on(GetCommand)
        .rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} }));
      await expect(store.get(opened.grant.id)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    });
  });

  describe('listByRequester', () => {
    const id = 'g-01jtest0000000000000000000';
    const lastKey = { PK: `GRANT#${id}`, SK: 'GRANT', GSI1PK: 'USER#alice', GSI1SK: `2026-11-23T09:00:00.000Z#${id}` };

    it("queries the requester's partition newest first and hands back a cursor for the next page", async () => {
      documentClient.on(QueryCommand).resolves({ Items: [], LastEvaluatedKey: lastKey });
      const page = await store.listByRequester('alice', { limit: 10 });
      expect(documentClient.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({
        IndexName: 'byRequester',
        ExpressionAttributeNames: { '#pk': 'GSI1PK' },
        ExpressionAttributeValues: { ':pk': 'USER#alice' },
        ScanIndexForward: false,
        Limit: 10,
      });
      expect(page.nextCursor).toBeDefined();

      documentClient.on(QueryCommand).resolves({ Items: [] });
      const next = await store.listByRequester('alice', { limit: 10, cursor: page.nextCursor! });
      expect(next.nextCursor).toBeUndefined();
      expect(documentClient.commandCalls(QueryCommand)[1]!.args[0].input.ExclusiveStartKey).toEqual(lastKey);
    });

    it("rejects another user's cursor with INVALID_CURSOR before querying", async () => {
      documentClient.on(QueryCommand).resolves({ Items: [], LastEvaluatedKey: lastKey });
      const { nextCursor } = await store.listByRequester('alice', { limit: 10 });
      documentClient.resetHistory();
      await expect(store.listByRequester('bob', { limit: 10, cursor: nextCursor! })).rejects.toMatchObject({
        code: 'INVALID_CURSOR',
      });
      expect(documentClient.commandCalls(QueryCommand)).toHaveLength(0);
    });
  });
});
