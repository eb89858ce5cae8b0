import { describe, expect, it } from 'vitest';
import {
  AFTER_END_GRACE_SECONDS,
  activityOf,
  iamActionOf,
  isAfterEnd,
  summariseActivity,
} from '../../functions/domain/activity.js';
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

  it('summarises looked-up calls like the recorder: per action, first/last, late ones, each event once', () => {
    const uses = [
      assumedRoleCall({ eventId: 'a', at: '2026-11-23T09:30:00Z', sourceIdentity: GRANT }),
      assumedRoleCall({ eventId: 'a', at: '2026-11-23T09:30:00Z', sourceIdentity: GRANT }),
      assumedRoleCall({ eventId: 'b', at: '2026-11-23T09:10:00Z', sourceIdentity: GRANT, eventName: 'ListBucket' }),
      assumedRoleCall({ eventId: 'c', at: '2026-11-23T10:05:00Z', sourceIdentity: GRANT, errorCode: 'AccessDenied' }),
    ].flatMap((r) => activityOf(r) ?? []);
    expect(summariseActivity(GRANT, uses, endedAt)).toEqual({
      grantId: GRANT,
      actions: { 's3:GetObject': 2, 's3:ListBucket': 1 },
      calls: 3,
      firstUsedAt: '2026-11-23T09:10:00.000Z',
      lastUsedAt: '2026-11-23T10:05:00.000Z',
      afterEndCount: 1,
      afterEnd: [{ eventId: 'c', action: 's3:GetObject', at: '2026-11-23T10:05:00.000Z', errorCode: 'AccessDenied' }],
    });
  });
});
