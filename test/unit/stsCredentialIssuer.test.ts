import { inspect } from 'node:util';
import {
  AssumeRoleCommand,
  type AssumeRoleCommandOutput,
  ExpiredTokenException,
  MalformedPolicyDocumentException,
  PackedPolicyTooLargeException,
  RegionDisabledException,
  STSClient,
  STSServiceException,
} from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { StsCredentialIssuer } from '../../functions/adapters/aws/stsCredentialIssuer.js';
import { ServiceUnavailableError, ValidationError } from '../../functions/domain/errors.js';
import type { SessionRequest } from '../../functions/ports.js';
import { offlineClientConfig, rejectionOf, serviceFault, socketError } from '../helpers/awsFaults.js';

const sts = mockClient(STSClient);
const issuer = new StsCredentialIssuer(new STSClient(offlineClientConfig));

const ROLE_ARN = 'arn:aws:iam::123456789012:role/jit/prod-read';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLESECRET';
const request: SessionRequest = {
  roleArn: ROLE_ARN,
  sessionName: 'alice.g-01jtest',
  sourceIdentity: 'alice',
  tags: { 'jit-grant-id': 'g-01jtest', 'jit-requester': 'alice' },
  policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
  durationSeconds: 1800,
};
const answer: AssumeRoleCommandOutput = {
  $metadata: { httpStatusCode: 200 },
  Credentials: {
    AccessKeyId: 'ASIAEXAMPLE123456789',
    SecretAccessKey: SECRET,
    SessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN',
    Expiration: new Date('2026-11-23T09:30:00Z'),
  },
  AssumedRoleUser: {
    AssumedRoleId: 'AROAEXAMPLEROLEID:alice.g-01jtest',
    Arn: 'arn:aws:sts::123456789012:assumed-role/prod-read/alice.g-01jtest',
  },
  PackedPolicySize: 12,
};

beforeEach(() => {
  sts.reset();
});

afterAll(() => {
  sts.restore();
});

describe('StsCredentialIssuer', () => {
  it('sends AssumeRole with the role, session name, source identity, tags, policy and duration', async () => {
    sts.on(AssumeRoleCommand).resolves(answer);
    await issuer.issue(request);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(sts.commandCalls(AssumeRoleCommand)[0]!.args[0].input).toEqual({
      RoleArn: ROLE_ARN,
      RoleSessionName: 'alice.g-01jtest',
      SourceIdentity: 'alice',
      Tags: [
        { Key: 'jit-grant-id', Value: 'g-01jtest' },
        { Key: 'jit-requester', Value: 'alice' },
      ],
      Policy: request.policy,
      DurationSeconds: 1800,
    });
  });

  it('returns the credentials, their expiry as a Date, and the assumed-role ARN', async () => {
    sts.on(AssumeRoleCommand).resolves(answer);
    expect(await issuer.issue(request)).toEqual({
      accessKeyId: 'ASIAEXAMPLE123456789',
      secretAccessKey: SECRET,
      sessionToken: 'FwoGZXIvYXdzEXAMPLETOKEN',
      expiration: new Date('2026-11-23T09:30:00Z'),
      assumedRoleArn: 'arn:aws:sts::123456789012:assumed-role/prod-read/alice.g-01jtest',
    });
  });

  it.each([
    [
      'PackedPolicyTooLarge',
      new PackedPolicyTooLargeException({ message: 'Packed policy consumes 104% of allotted space', $metadata: {} }),
      ValidationError,
      'SESSION_POLICY_TOO_LARGE',
      /fewer actions or resources/,
    ],
    [
      'MalformedPolicyDocument',
      new MalformedPolicyDocumentException({ message: 'Syntax errors in policy.', $metadata: {} }),
      ValidationError,
      'MALFORMED_SESSION_POLICY',
      /Syntax errors in policy\./,
    ],
    [
      'AccessDenied',
      serviceFault(STSServiceException, 'AccessDenied', 403),
      ServiceUnavailableError,
      'TARGET_ROLE_UNTRUSTED',
      /sts:SetSourceIdentity and sts:TagSession/,
    ],
    [
      'AccessDeniedException',
      serviceFault(STSServiceException, 'AccessDeniedException', 403),
      ServiceUnavailableError,
      'TARGET_ROLE_UNTRUSTED',
      /trust policy must trust every role the broker stack's VendRoleArn output names/,
    ],
    [
      'RegionDisabledException',
      new RegionDisabledException({ message: 'STS is not activated in this region', $metadata: {} }),
      ServiceUnavailableError,
      'STS_REGION_DISABLED',
      /activate/,
    ],
    [
      'Throttling',
      serviceFault(STSServiceException, 'Throttling', 400),
      ServiceUnavailableError,
      'STS_THROTTLED',
      /try again in a few seconds/,
    ],
    [
      'ThrottlingException',
      serviceFault(STSServiceException, 'ThrottlingException', 400),
      ServiceUnavailableError,
      'STS_THROTTLED',
      /try again in a few seconds/,
    ],
    [
      'RequestLimitExceeded',
      serviceFault(STSServiceException, 'RequestLimitExceeded', 400),
      ServiceUnavailableError,
      'STS_THROTTLED',
      /try again in a few seconds/,
    ],
    [
      'a refused connection',
      socketError('ECONNREFUSED'),
      ServiceUnavailableError,
      'STS_UNREACHABLE',
      /cannot reach STS/,
    ],
    ['an unknown host', socketError('ENOTFOUND'), ServiceUnavailableError, 'STS_UNREACHABLE', /cannot reach STS/],
    [
      'a server fault',
      serviceFault(STSServiceException, 'InternalFailure', 500),
      ServiceUnavailableError,
      'STS_UNAVAILABLE',
      /HTTP 500/,
    ],
  ])('translates %s into %O %s', async (_, fault, type, code, message) => {
    sts.on(AssumeRoleCommand).rejects(fault);
    const error = await rejectionOf(issuer.issue(request));
    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ code, cause: fault });
    expect((error as Error).message).toMatch(message);
  });

  it('names the role it cannot assume', async () => {
    sts.on(AssumeRoleCommand).rejects(serviceFault(STSServiceException, 'AccessDenied', 403));
    await expect(issuer.issue(request)).rejects.toThrow(
      `the broker cannot assume ${ROLE_ARN}: its trust policy must trust every role the broker stack's VendRoleArn output names (comma-separated; CiVendRoleArns too for CI) and allow sts:SetSourceIdentity and sts:TagSession (docs/deploy.md)`
    );
  });

  it.each([
    ['ExpiredTokenException', new ExpiredTokenException({ message: 'token expired', $metadata: {} })],
    ['ValidationError', serviceFault(STSServiceException, 'ValidationError', 400)],
    ['an error raised before sending', Object.assign(new Error('Could not load credentials'), { $metadata: {} })],
  ])('re-throws %s unchanged', async (_, fault) => {
    sts.on(AssumeRoleCommand).rejects(fault);
    expect(await rejectionOf(issuer.issue(request))).toBe(fault);
  });

  it.each([
    ['no credentials', { Credentials: undefined }],
    ['no session token', { Credentials: { ...answer.Credentials!, SessionToken: undefined } }],
    ['no expiration', { Credentials: { ...answer.Credentials!, Expiration: undefined } }],
    ['no assumed-role ARN', { AssumedRoleUser: undefined }],
  ])('fails on an answer with %s, without the secret anywhere in the error', async (_, change) => {
    sts.on(AssumeRoleCommand).resolves({ ...answer, ...change });
    const error = await rejectionOf(issuer.issue(request));
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(ROLE_ARN);
    expect(inspect(error, { depth: 10 })).not.toContain(SECRET);
  });
});
