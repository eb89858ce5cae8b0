import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { ForbiddenError, NotAuthenticatedError } from '../../functions/domain/errors.js';
import { type IdentitySource, resolveUser, type SignedPrincipal } from '../../functions/domain/identity.js';
import { iamAuthenticator, sandboxAuthenticator } from '../../functions/handlers/http/authenticators.js';
import type { HttpEvent, IamAuthorizerContext } from '../../functions/handlers/http/httpTypes.js';
import { thrownBy } from '../helpers/thrown.js';

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const ROLE_NAME = 'AWSReservedSSO_JitBrokerCaller_0123456789abcdef';
const ROLE_ID = 'AROAEXAMPLEJITCALLER1';
const SSO_ALICE_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/${ROLE_NAME}/alice`;
/** What API Gateway's IAM authorizer reports for alice's Identity Center session: userArn and userId. */
const SSO_ALICE: SignedPrincipal = { arn: SSO_ALICE_ARN, uniqueId: `${ROLE_ID}:alice` };

const session = (arn: string, uniqueId?: string): SignedPrincipal => ({ arn, ...(uniqueId ? { uniqueId } : {}) });

const identityCenter: IdentitySource = {
  type: 'identity-center',
  roles: [
    { arn: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/${ROLE_NAME}`, roleId: ROLE_ID },
    // An identity source in us-east-1: no Region segment in the path.
    {
      arn: `arn:aws:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_ReadOnly_fedcba9876543210`,
      roleId: 'AROAEXAMPLEREADONLY01',
    },
  ],
};
const iamUsers: IdentitySource = { type: 'iam-user', accountIds: [ACCOUNT] };
const CI_SESSION = `arn:aws:sts::${OTHER_ACCOUNT}:assumed-role/ci-deployer/build-42`;
const ciPrincipal: IdentitySource = {
  type: 'principal',
  arn: CI_SESSION,
  userId: 'ci-bot',
  acceptCallerChosenSessionName: true,
};
const SOURCES: readonly IdentitySource[] = [identityCenter, iamUsers, ciPrincipal];

describe('resolveUser', () => {
  it.each([
    ['an Identity Center session of a pinned role', SSO_ALICE, 'alice'],
    [
      'an Identity Center session (us-east-1 identity source) with an e-mail user name',
      session(
        `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_ReadOnly_fedcba9876543210/alice@example.com`,
        'AROAEXAMPLEREADONLY01:alice@example.com'
      ),
      'alice@example.com',
    ],
    ['an IAM user', session(`arn:aws:iam::${ACCOUNT}:user/bob`, 'AIDAEXAMPLEBOB000001'), 'bob'],
    ['an IAM user with a path', session(`arn:aws:iam::${ACCOUNT}:user/division/team/bob`), 'bob'],
    ['an explicitly accepted session of a mapped role', session(CI_SESSION, 'AROAEXAMPLECIDEPLOY1:build-42'), 'ci-bot'],
  ])('maps %s to its user', (_what, principal, user) => {
    expect(resolveUser(principal, SOURCES)).toBe(user);
  });

  it('maps a GovCloud Identity Center session when its role is pinned there', () => {
    const gov: IdentitySource = {
      type: 'identity-center',
      roles: [
        {
          arn: `arn:aws-us-gov:iam::${ACCOUNT}:role/aws-reserved/sso.amazonaws.com/us-gov-west-1/${ROLE_NAME}`,
          roleId: ROLE_ID,
        },
      ],
    };
    const arn = SSO_ALICE_ARN.replace('arn:aws:', 'arn:aws-us-gov:');
    expect(resolveUser(session(arn, `${ROLE_ID}:alice`), [gov])).toBe('alice');
    expect(resolveUser(SSO_ALICE, [gov])).toBeUndefined();
  });

  describe('forgery attempts', () => {
    it.each([
      [
        'a role someone created with an Identity Center-shaped name, assumed with session name alice',
        session(
          `arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice`,
          'AROAATTACKERROLE00001:alice'
        ),
      ],
      [
        'the pinned role name in another account',
        session(SSO_ALICE_ARN.replace(ACCOUNT, OTHER_ACCOUNT), `${ROLE_ID}:alice`),
      ],
      ['the pinned role name, re-created (a new role id)', session(SSO_ALICE_ARN, 'AROAEXAMPLERECREATED1:alice')],
      ['the pinned role with no unique id from the authorizer', session(SSO_ALICE_ARN)],
      [
        "the pinned role id with another session's name (userArn and userId disagree)",
        session(SSO_ALICE_ARN, `${ROLE_ID}:mallory`),
      ],
      [
        'the pinned role id under another role name in the ARN',
        session(`arn:aws:sts::${ACCOUNT}:assumed-role/AWSReservedSSO_Other_0123456789abcdef/alice`, `${ROLE_ID}:alice`),
      ],
      [
        'an ordinary assumed role whose session name is a user name',
        session(`arn:aws:sts::${ACCOUNT}:assumed-role/Developer/alice`, 'AROAEXAMPLEDEVELOPER1:alice'),
      ],
      ['an IAM user in an unconfigured account', session(`arn:aws:iam::${OTHER_ACCOUNT}:user/bob`)],
      [
        'the Identity Center role itself (not a session)',
        session(`arn:aws:iam::${ACCOUNT}:role/${ROLE_NAME}`, ROLE_ID),
      ],
      ['the root user', session(`arn:aws:iam::${ACCOUNT}:root`, ACCOUNT)],
      [
        'another session of the mapped role',
        session(CI_SESSION.replace('build-42', 'build-43'), 'AROAEXAMPLECIDEPLOY1:build-43'),
      ],
      ['a federated user', session(`arn:aws:sts::${ACCOUNT}:federated-user/alice`, `${ACCOUNT}:alice`)],
      ['an ARN with a trailing segment', session(`${SSO_ALICE_ARN}/extra`, `${ROLE_ID}:alice`)],
      ['an empty string', session('', '')],
    ])('does not trust %s', (_what, principal) => {
      expect(resolveUser(principal, SOURCES)).toBeUndefined();
    });

    it('never maps a caller-chosen session name through an exact principal unless that was accepted explicitly', () => {
      const implicit: IdentitySource = { type: 'principal', arn: CI_SESSION, userId: 'ci-bot' };
      expect(resolveUser(session(CI_SESSION, 'AROAEXAMPLECIDEPLOY1:build-42'), [implicit])).toBeUndefined();
      const federated: IdentitySource = {
        type: 'principal',
        arn: `arn:aws:sts::${ACCOUNT}:federated-user/alice`,
        userId: 'alice',
      };
      expect(resolveUser(session(federated.arn, `${ACCOUNT}:alice`), [federated])).toBeUndefined();
    });

    it('checks a pinned unique id on an exact principal', () => {
      const pinned: IdentitySource = { ...ciPrincipal, uniqueId: 'AROAEXAMPLECIDEPLOY1:build-42' };
      expect(resolveUser(session(CI_SESSION, 'AROAEXAMPLECIDEPLOY1:build-42'), [pinned])).toBe('ci-bot');
      expect(resolveUser(session(CI_SESSION, 'AROAEXAMPLERECREATED1:build-42'), [pinned])).toBeUndefined();
      expect(resolveUser(session(CI_SESSION), [pinned])).toBeUndefined();
    });
  });

  it('trusts no Identity Center session when only IAM users are configured', () => {
    expect(resolveUser(SSO_ALICE, [iamUsers])).toBeUndefined();
  });

  it('trusts no IAM user when only Identity Center is configured', () => {
    expect(resolveUser(session(`arn:aws:iam::${ACCOUNT}:user/bob`), [identityCenter])).toBeUndefined();
  });

  it('trusts nothing when no source is configured', () => {
    expect(resolveUser(SSO_ALICE, [])).toBeUndefined();
  });

  it('takes the first source that vouches for the principal', () => {
    const override: IdentitySource = {
      type: 'principal',
      arn: SSO_ALICE_ARN,
      userId: 'alice-admin',
      acceptCallerChosenSessionName: true,
    };
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

  it('returns the user the identity sources map the signed principal (userArn and userId) to', () => {
    expect(authenticate(eventWith({ iam: { userArn: SSO_ALICE_ARN, userId: `${ROLE_ID}:alice` } }))).toBe('alice');
  });

  it('refuses an Identity Center-shaped session whose role id is not the pinned one', () => {
    const event = eventWith({ iam: { userArn: SSO_ALICE_ARN, userId: 'AROAATTACKERROLE00001:alice' } });
    expect(thrownBy(() => authenticate(event))).toMatchObject({ code: 'UNKNOWN_PRINCIPAL', kind: 'forbidden' });
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
    ['only an IAM identity', eventWith({ iam: { userArn: SSO_ALICE_ARN, userId: `${ROLE_ID}:alice` } })],
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
