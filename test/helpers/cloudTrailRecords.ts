import type { CloudTrailRecord } from '../../functions/domain/activity.js';

/**
 * CloudTrail records shaped as the CloudTrail User Guide documents them ("CloudTrail record
 * contents", "userIdentity element"): a call made with an assumed-role session carries the
 * session's access key id and, when the session was created with one, `sessionContext.sourceIdentity`.
 */
const assumedRoleCall = (input: {
  eventId: string;
  at: string;
  sourceIdentity?: string;
  accessKeyId?: string;
  eventSource?: string;
  eventName?: string;
  errorCode?: string;
  roleName?: string;
}): CloudTrailRecord & Record<string, unknown> => {
  const roleName = input.roleName ?? 'prod-read';
  const session = input.sourceIdentity ?? 'some-session';
  return {
    eventVersion: '1.09',
    userIdentity: {
      type: 'AssumedRole',
      principalId: `AROAEXAMPLEROLEID:${session}`,
      arn: `arn:aws:sts::123456789012:assumed-role/${roleName}/${session}`,
      accountId: '123456789012',
      accessKeyId: input.accessKeyId ?? 'ASIAEXAMPLEKEY000001',
      sessionContext: {
        sessionIssuer: {
          type: 'Role',
          principalId: 'AROAEXAMPLEROLEID',
          arn: `arn:aws:iam::123456789012:role/jit/${roleName}`,
          accountId: '123456789012',
          userName: roleName,
        },
        attributes: { creationDate: '2026-11-23T09:00:00Z', mfaAuthenticated: 'false' },
        ...(input.sourceIdentity === undefined ? {} : { sourceIdentity: input.sourceIdentity }),
      },
    },
    eventTime: input.at,
    eventSource: input.eventSource ?? 's3.amazonaws.com',
    eventName: input.eventName ?? 'GetObject',
    awsRegion: 'us-east-1',
    sourceIPAddress: '203.0.113.10',
    userAgent: 'aws-cli/2.15.0',
    requestParameters: { bucketName: 'example-bucket', key: 'export/2026-11-22.csv' },
    responseElements: null,
    ...(input.errorCode === undefined ? {} : { errorCode: input.errorCode, errorMessage: 'Access Denied' }),
    requestID: `REQ${input.eventId}`,
    eventID: input.eventId,
    readOnly: true,
    eventType: 'AwsApiCall',
    managementEvent: false,
    recipientAccountId: '123456789012',
    eventCategory: 'Data',
  } as CloudTrailRecord & Record<string, unknown>;
};

/** `sts:GetCallerIdentity` from a grant session: a call no IAM policy can deny (docs/audit.md). */
const callerIdentityCall = (input: { eventId: string; at: string; sourceIdentity: string; errorCode?: string }) =>
  assumedRoleCall({ ...input, eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity' });

/** An IAM user's call: no session context, never a grant's. */
const iamUserCall = (eventId: string, at: string): CloudTrailRecord => ({
  eventID: eventId,
  eventTime: at,
  eventSource: 's3.amazonaws.com',
  eventName: 'ListBuckets',
  userIdentity: {
    type: 'IAMUser',
    principalId: 'AIDAEXAMPLE',
    arn: 'arn:aws:iam::123456789012:user/alice',
    accessKeyId: 'AKIAEXAMPLE',
  },
});

export { assumedRoleCall, callerIdentityCall, iamUserCall };
