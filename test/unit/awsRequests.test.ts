import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { readAwsRequest } from '../../sandbox/awsRequests.js';

/**
 * How the sandbox's proxy reads a request: the signer's key, the protocol, the IAM action and the
 * resource ARNs IAM would decide on. A wrong mapping here allows or refuses the wrong thing.
 */
const KEY = 'ASIAVENDEDKEY0000001';
const signed = (service: string, region = 'us-east-1') =>
  `AWS4-HMAC-SHA256 Credential=${KEY}/20261123/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`;

const request = (method: string, url: string, service: string, headers: Record<string, string> = {}) =>
  ({ method, url, headers: { authorization: signed(service), ...headers } }) as unknown as IncomingMessage;

const context = {
  account: '123456789012',
  roleArnByName: new Map([['prod-read', 'arn:aws:iam::123456789012:role/jit/prod-read']]),
};
const read = (req: IncomingMessage, body = '') => readAwsRequest(req, body, context);

describe('the sandbox reads which IAM action a request needs, and on what', () => {
  it.each([
    ['GET', '/', 's3:ListAllMyBuckets', ['*']],
    ['GET', '/example-bucket?list-type=2&prefix=a', 's3:ListBucket', ['arn:aws:s3:::example-bucket']],
    ['HEAD', '/example-bucket', 's3:ListBucket', ['arn:aws:s3:::example-bucket']],
    [
      'GET',
      '/example-bucket/nightly/report%20v2.csv',
      's3:GetObject',
      ['arn:aws:s3:::example-bucket/nightly/report v2.csv'],
    ],
    ['HEAD', '/example-bucket/a.csv', 's3:GetObject', ['arn:aws:s3:::example-bucket/a.csv']],
    ['PUT', '/example-bucket/a.csv', 's3:PutObject', ['arn:aws:s3:::example-bucket/a.csv']],
    ['DELETE', '/example-bucket/a.csv', 's3:DeleteObject', ['arn:aws:s3:::example-bucket/a.csv']],
    ['GET', '/example-bucket/a.csv?acl', 's3:GetObjectAcl', ['arn:aws:s3:::example-bucket/a.csv']],
    ['PUT', '/example-bucket?tagging', 's3:PutBucketTagging', ['arn:aws:s3:::example-bucket']],
    ['GET', '/example-bucket?location', 's3:GetBucketLocation', ['arn:aws:s3:::example-bucket']],
    ['GET', '/example-bucket?policy', 's3:GetBucketPolicy', ['arn:aws:s3:::example-bucket']],
    ['GET', '/example-bucket?versions', 's3:ListBucketVersions', ['arn:aws:s3:::example-bucket']],
    ['GET', '/example-bucket?uploads', 's3:ListBucketMultipartUploads', ['arn:aws:s3:::example-bucket']],
    ['POST', '/example-bucket/big.bin?uploads', 's3:PutObject', ['arn:aws:s3:::example-bucket/big.bin']],
    ['PUT', '/example-bucket/big.bin?partNumber=1&uploadId=u', 's3:PutObject', ['arn:aws:s3:::example-bucket/big.bin']],
    [
      'DELETE',
      '/example-bucket/big.bin?uploadId=u',
      's3:AbortMultipartUpload',
      ['arn:aws:s3:::example-bucket/big.bin'],
    ],
    ['PUT', '/new-bucket', 's3:CreateBucket', ['arn:aws:s3:::new-bucket']],
  ])('S3 %s %s → %s on %j', (method, url, action, resources) => {
    const read_ = read(request(method, url, 's3'));
    expect(read_).toMatchObject({ accessKeyId: KEY, service: 's3', protocol: 's3', action, resources });
  });

  it('S3 DeleteObjects is s3:DeleteObject on every key its body names', () => {
    const body = '<Delete><Object><Key>a.csv</Key></Object><Object><Key>b&amp;c.csv</Key></Object></Delete>';
    expect(read(request('POST', '/example-bucket?delete', 's3'), body)).toMatchObject({
      operation: 'DeleteObjects',
      action: 's3:DeleteObject',
      resources: ['arn:aws:s3:::example-bucket/a.csv', 'arn:aws:s3:::example-bucket/b&c.csv'],
    });
  });

  it('S3 CopyObject is s3:PutObject on the destination', () => {
    const copy = request('PUT', '/example-bucket/copy.csv', 's3', { 'x-amz-copy-source': '/example-bucket/a.csv' });
    expect(read(copy)).toMatchObject({ action: 's3:PutObject', resources: ['arn:aws:s3:::example-bucket/copy.csv'] });
  });

  const dynamo = (operation: string, body: unknown) =>
    read(request('POST', '/', 'dynamodb', { 'x-amz-target': `DynamoDB_20120810.${operation}` }), JSON.stringify(body));
  const table = (name: string) => `arn:aws:dynamodb:us-east-1:123456789012:table/${name}`;

  it.each([
    ['GetItem', { TableName: 'orders', Key: {} }, 'dynamodb:GetItem', [table('orders')]],
    [
      'Query',
      { TableName: 'orders', IndexName: 'byCustomer' },
      'dynamodb:Query',
      [`${table('orders')}/index/byCustomer`],
    ],
    [
      'BatchGetItem',
      { RequestItems: { orders: {}, customers: {} } },
      'dynamodb:BatchGetItem',
      [table('orders'), table('customers')],
    ],
    [
      'TransactWriteItems',
      { TransactItems: [{ Put: { TableName: 'orders' } }, { Delete: { TableName: 'orders' } }] },
      'dynamodb:TransactWriteItems',
      [table('orders')],
    ],
    ['ListTables', {}, 'dynamodb:ListTables', ['*']],
  ])('DynamoDB %s → %s on %j', (operation, body, action, resources) => {
    expect(dynamo(operation, body)).toMatchObject({ protocol: 'json', operation, action, resources });
  });

  it.each([
    ['Action=ListRoles&Version=2010-05-08', 'iam:ListRoles', ['*']],
    // The catalog knows the role's path; IAM's ARN carries it.
    [
      'Action=GetRole&RoleName=prod-read&Version=2010-05-08',
      'iam:GetRole',
      ['arn:aws:iam::123456789012:role/jit/prod-read'],
    ],
    ['Action=PutRolePolicy&RoleName=other&PolicyName=p', 'iam:PutRolePolicy', ['arn:aws:iam::123456789012:role/other']],
    ['Action=CreateAccessKey&UserName=bob', 'iam:CreateAccessKey', ['arn:aws:iam::123456789012:user/bob']],
    [
      'Action=GetPolicy&PolicyArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fp',
      'iam:GetPolicy',
      ['arn:aws:iam::123456789012:policy/p'],
    ],
  ])('IAM %s → %s on %j', (body, action, resources) => {
    const form = request('POST', '/', 'iam', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(read(form, body)).toMatchObject({ protocol: 'query', action, resources });
  });

  it('IAM and STS: the API version comes along for the error document', () => {
    expect(read(request('POST', '/', 'iam'), 'Action=ListRoles&Version=2010-05-08')?.apiVersion).toBe('2010-05-08');
  });

  it.each([
    ['Action=GetCallerIdentity&Version=2011-06-15', 'sts:GetCallerIdentity', ['*']],
    [
      'Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fjit%2Fprod-admin&RoleSessionName=x',
      'sts:AssumeRole',
      ['arn:aws:iam::123456789012:role/jit/prod-admin'],
    ],
  ])('STS %s → %s on %j', (body, action, resources) => {
    expect(read(request('POST', '/', 'sts'), body)).toMatchObject({ protocol: 'query', action, resources });
  });

  it('EC2 speaks its own query dialect; the resource is not read (`*`)', () => {
    expect(read(request('POST', '/', 'ec2'), 'Action=DescribeInstances&Version=2016-11-15')).toMatchObject({
      protocol: 'ec2',
      action: 'ec2:DescribeInstances',
      resources: ['*'],
    });
  });

  it('a REST-JSON call it cannot name has no action (the proxy refuses it, saying why)', () => {
    expect(read(request('GET', '/schedules', 'scheduler'))).toMatchObject({ protocol: 'rest-json', action: undefined });
  });

  it('reads the key and region of a presigned URL', () => {
    const presigned = {
      method: 'GET',
      url: `/example-bucket/a.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${KEY}%2F20261123%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Signature=0`,
      headers: {},
    } as unknown as IncomingMessage;
    expect(read(presigned)).toMatchObject({ accessKeyId: KEY, region: 'eu-west-1', action: 's3:GetObject' });
  });

  it('an unsigned request is not one it reads', () => {
    expect(read({ method: 'GET', url: '/moto-api/', headers: {} } as unknown as IncomingMessage)).toBeUndefined();
  });
});
