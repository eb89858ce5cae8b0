import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/domain/errors.js';
import type { TaskScope } from '../../functions/domain/grant.js';
import { renderSessionPolicy, SESSION_POLICY_MAX_CHARS, withGuards } from '../../functions/domain/sessionPolicy.js';
import { thrownBy as thrown } from '../helpers/thrown.js';

const BUCKET_OBJECTS = 'arn:aws:s3:::example-bucket/*';

/** A scope whose rendered policy is exactly `length` characters, padded through its one resource. */
const scopeRenderingTo = (length: number): TaskScope => {
  const prefix = 'arn:aws:s3:::example-bucket/';
  const overhead = renderSessionPolicy({ actions: ['s3:GetObject'], resources: [prefix] }).length;
  return { actions: ['s3:GetObject'], resources: [prefix + 'k'.repeat(length - overhead)] };
};

describe('renderSessionPolicy', () => {
  it('renders one compact Allow statement for the task', () => {
    expect(renderSessionPolicy({ actions: ['s3:GetObject'], resources: [BUCKET_OBJECTS] })).toBe(
      '{"Version":"2012-10-17","Statement":[{"Sid":"JitTask","Effect":"Allow","Action":["s3:GetObject"],' +
        '"Resource":["arn:aws:s3:::example-bucket/*"]}]}'
    );
  });

  it.each([
    [
      {
        actions: ['s3:PutObject', 's3:GetObject', 's3:GetObject'],
        resources: ['arn:aws:s3:::b/*', 'arn:aws:s3:::a/*'],
      },
      {
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*', 'arn:aws:s3:::a/*'],
      },
    ],
    [
      {
        actions: ['s3:GetObject'],
        resources: [BUCKET_OBJECTS],
        conditions: {
          StringLike: { 's3:prefix': ['b/*', 'a/*'] },
          StringEquals: { 'aws:RequestedRegion': 'us-east-1' },
        },
      },
      {
        actions: ['s3:GetObject'],
        resources: [BUCKET_OBJECTS],
        conditions: {
          StringEquals: { 'aws:RequestedRegion': 'us-east-1' },
          StringLike: { 's3:prefix': ['a/*', 'b/*'] },
        },
      },
    ],
  ])('renders the same text whatever the order and repetition of the input (%#)', (one, other) => {
    expect(renderSessionPolicy(one)).toBe(renderSessionPolicy(other));
  });

  it('sorts and de-duplicates actions and resources', () => {
    const policy = JSON.parse(
      renderSessionPolicy({ actions: ['s3:PutObject', 's3:GetObject', 's3:PutObject'], resources: ['b', 'a', 'b'] })
    );
    expect(policy.Statement[0].Action).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(policy.Statement[0].Resource).toEqual(['a', 'b']);
  });

  it('copies the task conditions into the statement', () => {
    const conditions = {
      StringEquals: { 'aws:RequestedRegion': 'us-east-1' },
      Bool: { 'aws:SecureTransport': 'true' },
    };
    const policy = JSON.parse(
      renderSessionPolicy({ actions: ['s3:GetObject'], resources: [BUCKET_OBJECTS], conditions })
    );
    expect(policy.Statement[0].Condition).toEqual(conditions);
    expect(Object.keys(policy.Statement[0].Condition)).toEqual(['Bool', 'StringEquals']);
  });

  it.each([
    ['absent', undefined],
    ['empty', {}],
    ['only operators without keys', { StringEquals: {} }],
  ])('leaves Condition out when the conditions are %s', (_name, conditions) => {
    const policy = JSON.parse(
      renderSessionPolicy({ actions: ['s3:GetObject'], resources: [BUCKET_OBJECTS], conditions })
    );
    expect(policy.Statement[0]).not.toHaveProperty('Condition');
  });

  it('contains no whitespace outside strings', () => {
    const policy = renderSessionPolicy({
      actions: ['s3:GetObject', 's3:ListBucket'],
      resources: [BUCKET_OBJECTS, 'arn:aws:s3:::example-bucket'],
      conditions: { StringEquals: { 'aws:RequestedRegion': ['us-east-1', 'eu-west-1'] } },
    });
    expect(policy).toBe(JSON.stringify(JSON.parse(policy)));
    expect(policy).not.toMatch(/\s/);
  });

  it('escapes characters outside ASCII, which STS does not accept, without changing their meaning', () => {
    const resource = 'arn:aws:s3:::example-bucket/café/☃';
    const policy = renderSessionPolicy({ actions: ['s3:GetObject'], resources: [resource] });
    expect(policy).toMatch(/^[\x20-\x7e]+$/);
    expect(policy).toContain('caf\\u00e9/\\u2603');
    expect(JSON.parse(policy).Statement[0].Resource).toEqual([resource]);
  });
});

describe('the guards in the session policy', () => {
  it('follow the task statement, and only when the task reaches a guarded action', () => {
    const wide = JSON.parse(renderSessionPolicy({ actions: ['iam:*'], resources: ['*'] }));
    expect(wide.Statement.map((s: { Sid: string }) => s.Sid)).toEqual([
      'JitTask',
      'JitGuard',
      'JitGuardKill',
      'JitGuardTag',
    ]);
    expect(wide.Statement[1]).toMatchObject({ Effect: 'Deny', Resource: '*' });
    expect(renderSessionPolicy({ actions: ['s3:*'], resources: ['*'] })).not.toContain('Deny');
  });
});

describe('the session policy size limit', () => {
  it.each([SESSION_POLICY_MAX_CHARS - 1, SESSION_POLICY_MAX_CHARS])('accepts a %i-character policy', (length) => {
    expect(renderSessionPolicy(scopeRenderingTo(length))).toHaveLength(length);
  });

  it.each([SESSION_POLICY_MAX_CHARS + 1, 5000])('rejects a %i-character policy, saying what to narrow', (length) => {
    const error = thrown(() => renderSessionPolicy(scopeRenderingTo(length)));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ code: 'SESSION_POLICY_TOO_LARGE' });
    const { message } = error as ValidationError;
    expect(message).toContain(`${length} characters`);
    expect(message).toContain('at most 2048');
    expect(message).toContain('fewer actions');
    expect(message).toContain('s3:Get*');
    expect(message).toContain('fewer resources');
  });

  it('leaves the guards out of the message when the task carries none', () => {
    const { message } = thrown(() => renderSessionPolicy(scopeRenderingTo(3000))) as ValidationError;
    expect(message).not.toContain('guards');
  });

  it('counts the guards: a * task on a resource list that fits a narrow task is refused, naming them', () => {
    const resources = Array.from(
      { length: 12 },
      (_, i) => `arn:aws:s3:::example-incident-evidence-${i}/forensics/2026-11-23/*`
    );
    expect(renderSessionPolicy({ actions: ['s3:GetObject'], resources }).length).toBeLessThan(SESSION_POLICY_MAX_CHARS);
    const error = thrown(() => renderSessionPolicy({ actions: ['*'], resources })) as ValidationError;
    expect(error.code).toBe('SESSION_POLICY_TOO_LARGE');
    expect(error.message).toMatch(
      /would be \d+ characters \(\d+ of them are the guards that keep access from outliving/
    );
    expect(error.message).toContain("there because '*' reach sts:AssumeRole, ");
  });

  it('is 2,048 characters, as STS documents', () => {
    expect(SESSION_POLICY_MAX_CHARS).toBe(2048);
  });
});

describe('withGuards: the policy vended for a stored one', () => {
  /** A session policy as the broker stored it before session policies carried guards. */
  const unguarded = (actions: string[], resources: string[] = ['*']) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Sid: 'JitTask', Effect: 'Allow', Action: actions, Resource: resources }],
    });

  it('vends a policy stored with its guards, or needing none, exactly as stored', () => {
    const guarded = renderSessionPolicy({ actions: ['*'], resources: ['*'] });
    expect(withGuards(guarded, ['*'])).toBe(guarded);
    expect(withGuards(unguarded(['s3:GetObject']), ['s3:GetObject'])).toBe(unguarded(['s3:GetObject']));
    expect(withGuards('{}', ['*'])).toBe('{}');
  });

  it('adds the guards to a wide policy stored before there were any', () => {
    expect(withGuards(unguarded(['*']), ['*'])).toBe(renderSessionPolicy({ actions: ['*'], resources: ['*'] }));
  });

  it('keeps the actions the stored task names exactly', () => {
    const vended = JSON.parse(withGuards(unguarded(['*', 'sts:AssumeRole']), ['*', 'sts:AssumeRole']));
    expect(vended.Statement[1].Action).not.toContain('sts:AssumeRole');
    expect(vended.Statement[1].Action).toContain('sts:AssumeRoleWithSAML');
  });

  it('refuses to vend when the guards do not fit beside the stored task', () => {
    const resources = Array.from(
      { length: 12 },
      (_, i) => `arn:aws:s3:::example-incident-evidence-${i}/forensics/2026-11-23/*`
    );
    const error = thrown(() => withGuards(unguarded(['*'], resources), ['*']));
    expect(error).toMatchObject({ code: 'SESSION_POLICY_TOO_LARGE' });
  });
});
