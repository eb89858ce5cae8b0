import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDenialLog } from '../../functions/adapters/aws/dynamoDenialLog.js';
import { DynamoGrantStore } from '../../functions/adapters/aws/dynamoGrantStore.js';
import { localChainSigner } from '../../functions/adapters/localChainSigner.js';
import { unavailableAws } from '../../functions/adapters/unavailableAws.js';
import { approve } from '../../functions/domain/decisions.js';
import { ServiceUnavailableError } from '../../functions/domain/errors.js';
import { composeBroker } from '../../functions/handlers/composeBroker.js';
import { sandboxAuthenticator } from '../../functions/handlers/http/authenticators.js';
import { ROUTES } from '../../functions/handlers/routes.js';
import { rejectionOf } from '../helpers/awsFaults.js';
import { capturingLogger, exampleConfig } from '../helpers/fixtures.js';
import { grantRouteEvent } from '../helpers/sandboxApiEvent.js';
import { at, openedGrant } from '../helpers/signedChains.js';

/**
 * DynamoDB outages on the wire: a local endpoint that answers what DynamoDB answers when it is
 * throttling or failing, and a closed port. The SDK is real (one attempt, so no retry delays).
 */
type Answer = { status: number; type: string; extra?: Record<string, unknown> };
let answer: Answer = { status: 500, type: 'InternalServerError' };
let server: Server;
let endpoint: string;
let closedEndpoint: string;

const listen = (s: Server) =>
  new Promise<string>((resolve) =>
    s.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(s.address() as AddressInfo).port}`))
  );

beforeAll(async () => {
  server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(
        JSON.stringify({
          __type: `com.amazonaws.dynamodb.v20120810#${answer.type}`,
          message: 'injected',
          ...answer.extra,
        })
      );
    });
  });
  endpoint = await listen(server);
  const closed = createServer();
  closedEndpoint = await listen(closed);
  await new Promise((resolve) => closed.close(resolve));
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

const client = (at: string) =>
  new DynamoDBClient({
    endpoint: at,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDOUTAGETEST', secretAccessKey: 'outage' },
    maxAttempts: 1,
  });

describe('a DynamoDB outage, as every table adapter reports it', () => {
  it.each([
    ['throttling', 'STORE_THROTTLED', { status: 400, type: 'ThrottlingException' }, /throttling the broker/],
    ['a server fault', 'STORE_UNAVAILABLE', { status: 500, type: 'InternalServerError' }, /HTTP 500/],
    ['an unavailable service', 'STORE_UNAVAILABLE', { status: 503, type: 'ServiceUnavailable' }, /HTTP 503/],
    [
      'a hot partition',
      'STORE_THROTTLED',
      { status: 400, type: 'ProvisionedThroughputExceededException' },
      /throttling the broker/,
    ],
  ])('translates %s into a ServiceUnavailableError %s', async (_, code, served, message) => {
    answer = served;
    const dynamo = client(endpoint);
    const error = await rejectionOf(new DynamoGrantStore(dynamo, 'grants').get('g-1'));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ code, message: expect.stringMatching(message) });
    dynamo.destroy();
  });

  it('translates a table that cannot be reached', async () => {
    const dynamo = client(closedEndpoint);
    const error = await rejectionOf(
      new DynamoDenialLog(dynamo, 'grants').list({ from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' })
    );
    expect(error).toMatchObject({ code: 'STORE_UNREACHABLE', message: expect.stringMatching(/cannot reach/) });
    dynamo.destroy();
  });

  it('translates a transaction cancelled only by throttling, and leaves one cancelled by a condition to the adapter', async () => {
    const cancelled = (...codes: string[]): Answer => ({
      status: 400,
      type: 'TransactionCanceledException',
      extra: { CancellationReasons: codes.map((Code) => ({ Code })) },
    });
    const dynamo = client(endpoint);
    const store = new DynamoGrantStore(dynamo, 'grants');
    const opened = openedGrant(3600);
    const grant = opened.grant;
    const transition = approve(grant, { userId: 'bob', groups: ['sre'] }, at(60));
    answer = cancelled('ThrottlingError', 'None');
    expect(await rejectionOf(store.transition(grant, transition))).toMatchObject({ code: 'STORE_THROTTLED' });
    answer = cancelled('ConditionalCheckFailed', 'ThrottlingError');
    expect(await rejectionOf(store.transition(grant, transition))).not.toBeInstanceOf(ServiceUnavailableError);
    dynamo.destroy();
  });

  it('leaves an error that is an answer to the request for the adapter to read', async () => {
    answer = { status: 400, type: 'ValidationException' };
    const dynamo = client(endpoint);
    const error = await rejectionOf(new DynamoGrantStore(dynamo, 'grants').get('g-1'));
    expect(error).not.toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ name: 'ValidationException' });
    dynamo.destroy();
  });

  it('answers the caller 503 with a code to retry on, not a 500', async () => {
    const { logger } = capturingLogger();
    const config = await exampleConfig();
    const dynamo = client(closedEndpoint);
    const broker = composeBroker({
      config,
      dynamo,
      tableName: 'grants',
      logger,
      access: unavailableAws('no AWS access in this test', logger),
      audit: { signer: localChainSigner() },
    });
    const getGrant = ROUTES.find((r) => r.name === 'getGrant')!.build({
      ...broker,
      authenticate: sandboxAuthenticator(),
    });
    const event = grantRouteEvent('GET', 'g-01m843kfrptg3pr4e1gg4019s1', 'alice');
    const response = await getGrant(event, {} as never);
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body).error.code).toBe('STORE_UNREACHABLE');
    dynamo.destroy();
  });
});
