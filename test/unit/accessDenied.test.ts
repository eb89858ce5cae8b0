import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { ListSchedulesCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessDeniedAnswer, type Denial, denialMessage } from '../../sandbox/accessDenied.js';
import type { Protocol } from '../../sandbox/awsRequests.js';

/**
 * The sandbox's AccessDenied, read back by the AWS SDK's own protocol parsers over HTTP: if the
 * wire format is off, the SDK names another error (or none) and these fail.
 */
const SESSION = 'arn:aws:sts::123456789012:assumed-role/prod-read/alice.g-01jexample000000000000000';
const denial = (action: string, resource = '*', explicit = false, policyType = 'session'): Denial => ({
  principalArn: SESSION,
  action,
  resource,
  reason: { explicit, policyType },
});

describe('what an AccessDenied says (IAM User Guide: troubleshoot access denied error messages)', () => {
  it('an implicit deny names the kind of policy that allows nothing', () => {
    expect(denialMessage(denial('s3:ListAllMyBuckets'))).toBe(
      `User: ${SESSION} is not authorized to perform: s3:ListAllMyBuckets because no session policy allows the s3:ListAllMyBuckets action`
    );
  });

  it('an explicit deny names the kind of policy, with its article; a resource is named when there is one', () => {
    const killed = denial('iam:GetRole', 'arn:aws:iam::123456789012:role/jit/x', true, 'identity-based');
    expect(denialMessage(killed)).toBe(
      `User: ${SESSION} is not authorized to perform: iam:GetRole on resource: arn:aws:iam::123456789012:role/jit/x with an explicit deny in an identity-based policy`
    );
    expect(denialMessage(denial('s3:GetObject', 'arn:aws:s3:::b/k', true, 'session'), true)).toBe(
      `User: ${SESSION} is not authorized to perform: s3:GetObject on resource: "arn:aws:s3:::b/k" with an explicit deny in a session policy`
    );
  });
});

describe('the AccessDenied answer, as the AWS SDK reads it', () => {
  let server: Server;
  let endpoint: string;
  let answering: { protocol: Protocol; service: string; denial: Denial };

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.once('end', () => {
        const answer = accessDeniedAnswer(answering.protocol, answering.service, answering.denial);
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const config = () => ({
    endpoint,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'ASIAX', secretAccessKey: 's', sessionToken: 't' },
  });
  const thrown = async (send: () => Promise<unknown>) => {
    try {
      await send();
    } catch (error) {
      return error as Error & { $metadata: { httpStatusCode?: number } };
    }
    throw new Error('expected the call to be refused');
  };

  it.each([
    [
      'S3 (REST-XML, 403)',
      { protocol: 's3', service: 's3', denial: denial('s3:ListAllMyBuckets') },
      () => new S3Client({ ...config(), forcePathStyle: true }).send(new ListBucketsCommand({})),
      'AccessDenied',
      403,
    ],
    [
      'IAM (query, 403)',
      { protocol: 'query', service: 'iam', denial: denial('iam:ListRoles', '*', true, 'identity-based') },
      () => new IAMClient(config()).send(new ListRolesCommand({})),
      'AccessDenied',
      403,
    ],
    [
      'STS (query, 403)',
      { protocol: 'query', service: 'sts', denial: denial('sts:AssumeRole', 'arn:aws:iam::123456789012:role/x') },
      () =>
        new STSClient(config()).send(
          new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::123456789012:role/x', RoleSessionName: 'x' })
        ),
      'AccessDenied',
      403,
    ],
    [
      'DynamoDB (JSON 1.0, 400)',
      {
        protocol: 'json',
        service: 'dynamodb',
        denial: denial('dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:123456789012:table/t'),
      },
      () => new DynamoDBClient(config()).send(new GetItemCommand({ TableName: 't', Key: { id: { S: '1' } } })),
      'AccessDeniedException',
      400,
    ],
    [
      'Scheduler (REST-JSON, 403)',
      { protocol: 'rest-json', service: 'scheduler', denial: denial('scheduler:ListSchedules') },
      () => new SchedulerClient(config()).send(new ListSchedulesCommand({})),
      'AccessDeniedException',
      403,
    ],
  ] as const)('%s', async (_what, answer, send, name, status) => {
    answering = answer as typeof answering;
    const error = await thrown(send);
    const expected = accessDeniedAnswer(answering.protocol, answering.service, answering.denial);
    expect(error.name).toBe(name);
    expect(error.message).toBe(expected.errorMessage);
    expect(error.$metadata.httpStatusCode).toBe(status);
    // CloudTrail's errorCode for the refusal is the code the SDK reads.
    expect(expected.errorCode).toBe(name);
  });

  it('EC2 answers UnauthorizedOperation in its own error document (CloudTrail: Client.UnauthorizedOperation)', () => {
    const answer = accessDeniedAnswer('ec2', 'ec2', denial('ec2:DescribeInstances'));
    expect(answer.status).toBe(403);
    expect(answer.body).toMatch(
      /<Response><Errors><Error><Code>UnauthorizedOperation<\/Code><Message>You are not authorized/
    );
    expect(answer.errorCode).toBe('Client.UnauthorizedOperation');
  });

  it('a message of its own (a call the sandbox cannot evaluate) is sent as it is, XML-escaped', () => {
    const answer = accessDeniedAnswer('query', 'iam', 'cannot tell <which> action & why');
    expect(answer.body).toContain('<Message>cannot tell &lt;which&gt; action &amp; why</Message>');
    expect(answer.errorMessage).toBe('cannot tell <which> action & why');
  });
});
