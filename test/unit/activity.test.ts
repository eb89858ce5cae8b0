import { describe, expect, it } from 'vitest';
import { activityOf, iamActionOf, summariseActivity } from '../../functions/domain/activity.js';
import { AFTER_END_GRACE_SECONDS, classifyCall, isAfterEnd } from '../../functions/domain/callOutcome.js';
import { assumedRoleCall, iamUserCall } from '../helpers/cloudTrailRecords.js';

const GRANT = 'g-01jd0000000000000000000000';

describe('reading CloudTrail records', () => {
  it.each([
    ['s3.amazonaws.com', 'GetObject', 's3:GetObject'],
    ['dynamodb.amazonaws.com', 'Query', 'dynamodb:Query'],
    ['sts.amazonaws.com', 'GetCallerIdentity', 'sts:GetCallerIdentity'],
    // Operations whose IAM action has another name.
    ['s3.amazonaws.com', 'ListObjectsV2', 's3:ListBucket'],
    ['s3.amazonaws.com', 'HeadObject', 's3:GetObject'],
    ['s3.amazonaws.com', 'ListBuckets', 's3:ListAllMyBuckets'],
    ['lambda.amazonaws.com', 'GetFunction20150331v2', 'lambda:GetFunction'],
    ['lambda.amazonaws.com', 'Invoke', 'lambda:InvokeFunction'],
    ['monitoring.amazonaws.com', 'GetMetricData', 'cloudwatch:GetMetricData'],
    ['email.amazonaws.com', 'SendEmail', 'ses:SendEmail'],
    ['logs.amazonaws.com', 'FilterLogEvents', 'logs:FilterLogEvents'],
    ['not-aws.example.com', 'GetObject', undefined],
    ['s3.amazonaws.com', 'Get Object; drop', undefined],
  ])('maps %s %s to the IAM action %s', (source, name, action) => {
    expect(iamActionOf(source, name)).toBe(action);
  });

  it('reads a grant session call: grant id from the source identity, the key, the action, the time', () => {
    const record = assumedRoleCall({
      eventId: 'e-1',
      at: '2026-11-23T09:10:00Z',
      sourceIdentity: GRANT,
      accessKeyId: 'ASIAKEY1',
    });
    expect(activityOf(record)).toEqual({
      grantId: GRANT,
      eventId: 'e-1',
      action: 's3:GetObject',
      at: '2026-11-23T09:10:00.000Z',
      accessKeyId: 'ASIAKEY1',
      roleArn: 'arn:aws:iam::123456789012:role/jit/prod-read',
    });
  });

  it('keeps the error code of a refused call (a kill at work is still an attempt)', () => {
    const record = assumedRoleCall({
      eventId: 'e-2',
      at: '2026-11-23T09:10:00Z',
      sourceIdentity: GRANT,
      errorCode: 'AccessDenied',
    });
    expect(activityOf(record)?.errorCode).toBe('AccessDenied');
  });

  it.each([
    ['a session without source identity', assumedRoleCall({ eventId: 'o-1', at: '2026-11-23T09:10:00Z' })],
    [
      'a session of someone else',
      assumedRoleCall({ eventId: 'o-2', at: '2026-11-23T09:10:00Z', sourceIdentity: 'alice@example.com' }),
    ],
    [
      'a look-alike source identity',
      assumedRoleCall({ eventId: 'o-3', at: '2026-11-23T09:10:00Z', sourceIdentity: 'g-not-a-grant' }),
    ],
    ['an IAM user', iamUserCall('o-4', '2026-11-23T09:10:00Z')],
    ['a record without time', assumedRoleCall({ eventId: 'o-5', at: 'yesterday', sourceIdentity: GRANT })],
    ['a record without event id', assumedRoleCall({ eventId: '', at: '2026-11-23T09:10:00Z', sourceIdentity: GRANT })],
  ])('ignores %s', (_what, record) => {
    expect(activityOf(record)).toBeUndefined();
  });

  it('treats an empty access key id (CloudTrail may hide it) as absent', () => {
    const record = assumedRoleCall({
      eventId: 'e-3',
      at: '2026-11-23T09:10:00Z',
      sourceIdentity: GRANT,
      accessKeyId: '',
    });
    expect(activityOf(record)).not.toHaveProperty('accessKeyId');
  });
});

describe('use after the end', () => {
  const endedAt = '2026-11-23T10:00:00.000Z';
  const at = (secondsAfterEnd: number) => ({
    at: new Date(Date.parse(endedAt) + secondsAfterEnd * 1000).toISOString(),
  });

  it.each([
    [-600, false],
    [0, false],
    [AFTER_END_GRACE_SECONDS, false],
    [AFTER_END_GRACE_SECONDS + 1, true],
    [3600, true],
  ])('a call %i s after the end is late: %s', (offset, late) => {
    expect(isAfterEnd(at(offset), endedAt)).toBe(late);
  });

  it('never flags a grant that has not ended', () => {
    expect(isAfterEnd(at(999_999), undefined)).toBe(false);
  });

  it('summarises looked-up calls like the recorder: per action, first/last, late ones by outcome, each event once', () => {
    const uses = [
      assumedRoleCall({ eventId: 'a', at: '2026-11-23T09:30:00Z', sourceIdentity: GRANT }),
      assumedRoleCall({ eventId: 'a', at: '2026-11-23T09:30:00Z', sourceIdentity: GRANT }),
      assumedRoleCall({ eventId: 'b', at: '2026-11-23T09:10:00Z', sourceIdentity: GRANT, eventName: 'ListBucket' }),
      assumedRoleCall({
        eventId: 'live-no',
        at: '2026-11-23T09:40:00Z',
        sourceIdentity: GRANT,
        errorCode: 'AccessDenied',
      }),
      // 20 s after the end: in the grace, but the kill's first refusal all the same.
      assumedRoleCall({
        eventId: 'grace',
        at: '2026-11-23T10:00:20Z',
        sourceIdentity: GRANT,
        errorCode: 'AccessDenied',
      }),
      assumedRoleCall({ eventId: 'c', at: '2026-11-23T10:05:00Z', sourceIdentity: GRANT, errorCode: 'AccessDenied' }),
      assumedRoleCall({ eventId: 'd', at: '2026-11-23T10:06:00Z', sourceIdentity: GRANT }),
      assumedRoleCall({
        eventId: 'e',
        at: '2026-11-23T10:07:00Z',
        sourceIdentity: GRANT,
        eventSource: 'sts.amazonaws.com',
        eventName: 'GetCallerIdentity',
      }),
    ].flatMap((r) => activityOf(r) ?? []);
    expect(summariseActivity(GRANT, uses, endedAt)).toEqual({
      grantId: GRANT,
      actions: { 's3:GetObject': 5, 's3:ListBucket': 1, 'sts:GetCallerIdentity': 1 },
      calls: 7,
      firstUsedAt: '2026-11-23T09:10:00.000Z',
      lastUsedAt: '2026-11-23T10:07:00.000Z',
      afterEndCount: 3,
      afterEnd: [
        {
          eventId: 'c',
          action: 's3:GetObject',
          at: '2026-11-23T10:05:00.000Z',
          errorCode: 'AccessDenied',
          outcome: 'refused',
        },
        { eventId: 'd', action: 's3:GetObject', at: '2026-11-23T10:06:00.000Z', outcome: 'succeeded' },
        { eventId: 'e', action: 'sts:GetCallerIdentity', at: '2026-11-23T10:07:00.000Z', outcome: 'undeniable' },
      ],
      afterEndOutcomes: { refused: 1, succeeded: 1, failed: 0, undeniable: 1 },
      firstRefusedSinceEndAt: '2026-11-23T10:00:20.000Z',
      lastSucceededAfterEndAt: '2026-11-23T10:06:00.000Z',
      refusedWhileLive: 1,
    });
  });
});

describe('what AWS answered, and when', () => {
  const endedAt = '2026-11-23T10:00:00.000Z';
  /** A recorded CloudTrail call of the grant, read as the recorder reads it. */
  const use = (input: { errorCode?: string; eventSource?: string; eventName?: string; at?: string }) => {
    const read = activityOf(
      assumedRoleCall({ eventId: 'x', at: input.at ?? '2026-11-23T10:05:00Z', sourceIdentity: GRANT, ...input })
    );
    if (read === undefined) throw new Error('not a grant call');
    return read;
  };

  it.each([
    // Query-protocol services (S3, IAM, STS, SQS) and JSON ones (KMS, DynamoDB, Lambda).
    ['s3.amazonaws.com', 'GetObject', 'AccessDenied', 'refused'],
    ['kms.amazonaws.com', 'Decrypt', 'AccessDeniedException', 'refused'],
    // EC2's UnauthorizedOperation, as CloudTrail logs it.
    ['ec2.amazonaws.com', 'DescribeInstances', 'Client.UnauthorizedOperation', 'refused'],
    ['ec2.amazonaws.com', 'DescribeInstances', 'UnauthorizedOperation', 'refused'],
    ['sns.amazonaws.com', 'Publish', 'AuthorizationError', 'refused'],
    // Other errors say nothing about the kill either way.
    ['s3.amazonaws.com', 'GetObject', 'NoSuchKey', 'failed'],
    ['dynamodb.amazonaws.com', 'Query', 'ThrottlingException', 'failed'],
    ['s3.amazonaws.com', 'GetObject', 'ExpiredToken', 'failed'],
    ['s3.amazonaws.com', 'GetObject', undefined, 'succeeded'],
    // No policy can deny GetCallerIdentity: whatever it answered, it proves nothing.
    ['sts.amazonaws.com', 'GetCallerIdentity', undefined, 'undeniable'],
    ['sts.amazonaws.com', 'GetCallerIdentity', 'AccessDenied', 'undeniable'],
  ])('%s %s answered %s: %s', (eventSource, eventName, errorCode, outcome) => {
    const call = use({ eventSource, eventName, ...(errorCode === undefined ? {} : { errorCode }) });
    expect(classifyCall(call, endedAt).outcome).toBe(outcome);
  });

  it.each([
    ['2026-11-23T09:59:59Z', 'live'],
    ['2026-11-23T10:00:00Z', 'live'],
    ['2026-11-23T10:00:01Z', 'grace'],
    ['2026-11-23T10:01:00Z', 'grace'],
    ['2026-11-23T10:01:01Z', 'after-end'],
  ])('a call at %s is %s', (at, phase) => {
    expect(classifyCall(use({ at }), endedAt).phase).toBe(phase);
  });

  it('files every call of a grant that has not ended as live', () => {
    expect(classifyCall(use({ at: '2030-01-01T00:00:00Z' }), undefined).phase).toBe('live');
  });
});
