import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { ForbiddenError, NotAuthenticatedError } from '../../functions/domain/errors.js';
import { type IdentitySource, resolveUser } from '../../functions/domain/identity.js';
import { iamAuthenticator, sandboxAuthenticator } from '../../functions/handlers/http/authenticators.js';
import type { HttpEvent, IamAuthorizerContext } from '../../functions/handlers/http/httpTypes.js';
import { thrownBy } from '../helpers/thrown.js';

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const SSO_ALICE = `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice`;

const identityCenter: IdentitySource = { type: 'identity-center', accountIds: [ACCOUNT] };
const iamUsers: IdentitySource = { type: 'iam-user', accountIds: [ACCOUNT] };
const ciPrincipal: IdentitySource = {
  type: 'principal',
  arn: `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/ci-deployer/build-42`,
  userId: 'ci-bot',
};
const SOURCES: readonly IdentitySource[] = [identityCenter, iamUsers, ciPrincipal];

describe('resolveUser', () => {
  it.each([
    ['an Identity Center session', SSO_ALICE, 'alice'],
    [
      'an Identity Center session with an e-mail user name',
      `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_ReadOnly_fedcba9876543210/alice@example.com`,
      'alice@example.com',
    ],
    ['an IAM user', `arn:aws:iam::${ACCOUNT}:user/bob`, 'bob'],
    ['an IAM user with a path', `arn:aws:iam::${ACCOUNT}:user/division/team/bob`, 'bob'],
    ['an exactly mapped principal', `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/ci-deployer/build-42`, 'ci-bot'],
    ['a GovCloud Identity Center session', SSO_ALICE.replace('arn:aws:', 'arn:aws-us-gov:'), 'alice'],
  ])('maps %s to its user', (_what, arn, user) => {
    expect(resolveUser(arn, SOURCES)).toBe(user);
  });

  it.each([
    [
      'an ordinary assumed role whose session name is a user name',
      `arn:aws:sts::${ACCOUNT}:assumed-role/Developer/alice`,
    ],
    [
      'an ordinary assumed role named like a permission set but without the reserved prefix',
      `arn:aws:sts::${ACCOUNT}:assumed-role/Admin_0123456789abcdef/alice`,
    ],
    [
      'an Identity Center session whose role suffix is not 16 hex digits',
      `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_xyz/alice`,
    ],
    ['an Identity Center session in an unconfigured account', SSO_ALICE.replace(ACCOUNT, OTHER_ACCOUNT)],
    ['an IAM user in an unconfigured account', `arn:aws:iam::${OTHER_ACCOUNT}:user/bob`],
    ['an IAM role (not a session)', `arn:aws:iam::${ACCOUNT}:role/AWSReservedSSO_Admin_0123456789abcdef`],
    ['the root user', `arn:aws:iam::${ACCOUNT}:root`],
    ['another session of the mapped role', `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/ci-deployer/build-43`],
    ['a federated user', `arn:aws:sts::${ACCOUNT}:federated-user/alice`],
    ['an ARN with a trailing segment', `${SSO_ALICE}/extra`],
    ['an empty string', ''],
  ])('does not trust %s', (_what, arn) => {
    expect(resolveUser(arn, SOURCES)).toBeUndefined();
  });

  it('trusts no Identity Center session when only IAM users are configured', () => {
    expect(resolveUser(SSO_ALICE, [iamUsers])).toBeUndefined();
  });

  it('trusts no IAM user when only Identity Center is configured', () => {
    expect(resolveUser(`arn:aws:iam::${ACCOUNT}:user/bob`, [identityCenter])).toBeUndefined();
  });

  it('trusts nothing when no source is configured', () => {
    expect(resolveUser(SSO_ALICE, [])).toBeUndefined();
  });

  it('takes the first source that vouches for the principal', () => {
    const override: IdentitySource = { type: 'principal', arn: SSO_ALICE, userId: 'alice-admin' };
    expect(resolveUser(SSO_ALICE, [override, identityCenter])).toBe('alice-admin');
    expect(resolveUser(SSO_ALICE, [identityCenter, override])).toBe('alice');
  });
});

const eventWith = (authorizer?: { iam?: IamAuthorizerContext; sandbox?: { userId: string } }): HttpEvent => {
  const base = {
    version: '2.0',
    routeKey: 'GET /grants',
    rawPath: '/grants',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: {
      accountId: ACCOUNT,
      apiId: 'api',
      domainName: 'example.com',
      domainPrefix: 'example',
      http: { method: 'GET', path: '/grants', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: 'GET /grants',
      stage: '$default',
      time: '23/Nov/2026:09:00:00 +0000',
      timeEpoch: 0,
    },
  } satisfies APIGatewayProxyEventV2;
  return { ...base, requestContext: { ...base.requestContext, ...(authorizer ? { authorizer } : {}) } };
};

describe('iamAuthenticator', () => {
  const authenticate = iamAuthenticator(SOURCES);

  it('returns the user the identity sources map the signed principal to', () => {
    expect(authenticate(eventWith({ iam: { userArn: SSO_ALICE } }))).toBe('alice');
  });

  it.each([
    ['no authorizer', eventWith()],
    ['no IAM context', eventWith({})],
    ['no userArn', eventWith({ iam: { accountId: ACCOUNT } })],
    ['only a sandbox identity', eventWith({ sandbox: { userId: 'alice' } })],
  ])('rejects a request with %s with NOT_AUTHENTICATED', (_what, event) => {
    const error = thrownBy(() => authenticate(event));
    expect(error).toBeInstanceOf(NotAuthenticatedError);
    expect(error).toMatchObject({ code: 'NOT_AUTHENTICATED', kind: 'unauthenticated' });
  });

  it('rejects a signed principal no source maps with UNKNOWN_PRINCIPAL', () => {
    const arn = `arn:aws:sts::${ACCOUNT}:assumed-role/Developer/alice`;
    const error = thrownBy(() => authenticate(eventWith({ iam: { userArn: arn } })));
    expect(error).toBeInstanceOf(ForbiddenError);
    expect(error).toMatchObject({ code: 'UNKNOWN_PRINCIPAL', kind: 'forbidden' });
    expect((error as Error).message).toContain(arn);
  });
});

describe('sandboxAuthenticator', () => {
  const saved = process.env.AWS_LAMBDA_FUNCTION_NAME;
  afterEach(() => {
    if (saved === undefined) delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    else process.env.AWS_LAMBDA_FUNCTION_NAME = saved;
  });

  it('returns the sandbox user id', () => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    expect(sandboxAuthenticator()(eventWith({ sandbox: { userId: 'erin' } }))).toBe('erin');
  });

  it.each([
    ['no authorizer', eventWith()],
    ['only an IAM identity', eventWith({ iam: { userArn: SSO_ALICE } })],
  ])('rejects a request with %s with NOT_AUTHENTICATED', (_what, event) => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    const authenticate = sandboxAuthenticator();
    const error = thrownBy(() => authenticate(event));
    expect(error).toBeInstanceOf(NotAuthenticatedError);
    expect(error).toMatchObject({ code: 'NOT_AUTHENTICATED' });
    expect((error as Error).message).toContain('x-jit-user');
  });

  it('refuses to be created inside AWS Lambda', () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'jit-broker-api';
    expect(() => sandboxAuthenticator()).toThrow('the sandbox authenticator cannot run inside AWS Lambda');
  });

  it('refuses even when the Lambda function name is empty', () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = '';
    expect(() => sandboxAuthenticator()).toThrow(/cannot run inside AWS Lambda/);
  });
});
