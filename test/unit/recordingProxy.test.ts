import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { operationOf } from '../../sandbox/awsRequests.js';
import { errorCodeOf } from '../../sandbox/recordingProxy.js';

const request = (method: string, headers: Record<string, string> = {}) =>
  ({ method, headers }) as unknown as IncomingMessage;

describe('the sandbox recording proxy reads the operation like CloudTrail names it', () => {
  it.each([
    [
      'query protocol, body',
      request('POST'),
      'http://x/',
      'Action=GetCallerIdentity&Version=2011-06-15',
      'sts',
      'GetCallerIdentity',
    ],
    ['query protocol, URL', request('GET'), 'http://x/?Action=ListRoles', '', 'iam', 'ListRoles'],
    [
      'JSON protocol',
      request('POST', { 'x-amz-target': 'DynamoDB_20120810.GetItem' }),
      'http://x/',
      '{}',
      'dynamodb',
      'GetItem',
    ],
    ['S3 list buckets', request('GET'), 'http://x/', '', 's3', 'ListBuckets'],
    ['S3 list objects v2', request('GET'), 'http://x/example-bucket?list-type=2', '', 's3', 'ListObjectsV2'],
    ['S3 get object', request('GET'), 'http://x/example-bucket/a/b.csv', '', 's3', 'GetObject'],
    ['S3 put object', request('PUT'), 'http://x/example-bucket/a.csv', 'data', 's3', 'PutObject'],
    ['S3 head object', request('HEAD'), 'http://x/example-bucket/a.csv', '', 's3', 'HeadObject'],
  ])('%s', (_what, req, url, body, service, operation) => {
    expect(operationOf(req, new URL(url), body, service)).toBe(operation);
  });

  it.each([
    [200, '', undefined],
    [403, '<Error><Code>AccessDenied</Code></Error>', 'AccessDenied'],
    [400, '{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"}', 'ResourceNotFoundException'],
    [404, '<Error><Code>NoSuchBucket</Code></Error>', 'NoSuchBucket'],
    [500, 'oops', 'HTTP500'],
  ])('answer %i %s → error code %s', (status, body, code) => {
    expect(errorCodeOf(status, body)).toBe(code);
  });
});
