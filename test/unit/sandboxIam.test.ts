import { describe, expect, it } from 'vitest';
import type { KillRecord } from '../../functions/domain/grant.js';
import { renderKillPolicy } from '../../functions/domain/sessionKill.js';
import { renderSessionPolicy } from '../../functions/domain/sessionPolicy.js';
import type { Denial } from '../../sandbox/accessDenied.js';
import type { AwsRequest } from '../../sandbox/awsRequests.js';
import { cachedRoleFacts, decideCall, type RoleFacts, type RoleFactsSource } from '../../sandbox/sandboxIam.js';
import { ceilingPolicy } from '../../sandbox/targetRoles.js';
import type { VendedSession } from '../../sandbox/vendedSessions.js';

/**
 * The sandbox's IAM decisions with the independent evaluator, on the example catalog's prod-read
 * role (its ceiling as the identity policy) and a session narrowed to one bucket's objects.
 */
const ROLE_ARN = 'arn:aws:iam::123456789012:role/jit/prod-read';
const NOW = new Date('2026-11-23T10:00:00.000Z');
const ENDED = 'g-01jendedgrant0000000000000';
const LIVE = 'g-01jlivegrant00000000000000';

const CEILING = {
  actions: ['s3:Get*', 's3:List*', 'dynamodb:GetItem', 'dynamodb:Query'],
  resources: ['arn:aws:s3:::example-*', 'arn:aws:s3:::example-*/*', 'arn:aws:dynamodb:us-east-1:123456789012:table/*'],
};

const session = (grantId: string, issuedAt = '2026-11-23T09:30:00.000Z'): VendedSession => ({
  accessKeyId: `ASIA${grantId.slice(-8).toUpperCase()}`,
  sourceIdentity: grantId,
  roleArn: ROLE_ARN,
  assumedRoleArn: `arn:aws:sts::123456789012:assumed-role/prod-read/alice.${grantId}`,
  sessionName: `alice.${grantId}`,
  tags: { 'jit-grant-id': grantId, 'jit-requester': 'alice' },
  policy: renderSessionPolicy({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] }),
  issuedAt,
});

const roleWith = (...extra: { name: string; document: string }[]): RoleFactsSource => ({
  read: async (): Promise<RoleFacts> => ({
    roleId: 'AROAPRODREAD',
    tags: { 'jit-broker:managed': 'true' },
    identityPolicies: [
      { name: 'prod-read-ceiling', document: JSON.parse(ceilingPolicy(CEILING)) },
      ...extra.map((p) => ({ name: p.name, document: JSON.parse(p.document) })),
    ],
  }),
});

const call = (action: string | undefined, resources: string[] = ['*']): AwsRequest => ({
  accessKeyId: 'ASIA',
  service: action?.split(':')[0] ?? 'scheduler',
  region: 'us-east-1',
  protocol: 'query',
  operation: action?.split(':')[1] ?? 'Unknown',
  action,
  resources,
});

const decide = (s: VendedSession, request: AwsRequest, roles: RoleFactsSource = roleWith()) =>
  decideCall({ session: s, request, roles, now: NOW, sourceIp: '127.0.0.1' });

const refusalOf = async (...args: Parameters<typeof decide>): Promise<Denial | string> => {
  const decision = await decide(...args);
  if (decision.allowed) throw new Error('expected a refusal');
  return decision.refusal;
};

const kill = (grantId: string, endedAt = '2026-11-23T09:55:00.000Z'): KillRecord => ({
  grantId,
  roleArn: ROLE_ARN,
  sourceIdentity: grantId,
  endedAt,
  until: '2026-11-23T11:00:00.000Z',
});
const killPolicy = (budgetUsed = 0) => {
  const rendered = renderKillPolicy([kill(ENDED)], NOW, budgetUsed);
  if (rendered.kind === 'none') throw new Error('expected a kill policy');
  return { name: 'jit-broker-session-kill', document: rendered.document };
};

describe('the sandbox decides a vended session’s calls as IAM would', () => {
  const object = ['arn:aws:s3:::example-bucket/nightly/report.csv'];

  it('allows what both the role and the session policy allow', async () => {
    expect(await decide(session(LIVE), call('s3:GetObject', object))).toEqual({ allowed: true });
  });

  it('refuses what the session policy does not allow, though the role does: “no session policy allows”', async () => {
    expect(await refusalOf(session(LIVE), call('s3:ListBucket', ['arn:aws:s3:::example-bucket']))).toEqual({
      principalArn: session(LIVE).assumedRoleArn,
      action: 's3:ListBucket',
      resource: 'arn:aws:s3:::example-bucket',
      reason: { explicit: false, policyType: 'session' },
    });
  });

  it('refuses what the role does not allow: “no identity-based policy allows”', async () => {
    expect(await refusalOf(session(LIVE), call('s3:ListAllMyBuckets'))).toMatchObject({
      resource: '*',
      reason: { explicit: false, policyType: 'identity-based' },
    });
    // A wildcard-only action is decided on `*`, whatever resource the request named.
    expect(await refusalOf(session(LIVE), call('iam:ListRoles', ['arn:aws:iam::123456789012:role/']))).toMatchObject({
      action: 'iam:ListRoles',
      resource: '*',
    });
  });

  it('after a per-grant kill: the ended grant’s session is refused explicitly, another grant’s is not', async () => {
    const roles = roleWith(killPolicy());
    expect(await refusalOf(session(ENDED), call('s3:GetObject', object), roles)).toMatchObject({
      reason: { explicit: true, policyType: 'identity-based' },
    });
    expect(await decide(session(LIVE), call('s3:GetObject', object), roles)).toEqual({ allowed: true });
  });

  it('the role-wide fallback keys on aws:TokenIssueTime: sessions issued before the end are refused', async () => {
    const roles = roleWith(killPolicy(10_240));
    expect(await decide(session(LIVE, '2026-11-23T09:30:00.000Z'), call('s3:GetObject', object), roles)).toMatchObject({
      allowed: false,
    });
    expect(await decide(session(LIVE, '2026-11-23T09:56:00.000Z'), call('s3:GetObject', object), roles)).toEqual({
      allowed: true,
    });
  });

  it('passes the session’s aws:userid, principal tags and aws:CurrentTime to conditions', async () => {
    const deny = (condition: Record<string, unknown>) => ({
      name: 'deny',
      document: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Action: '*', Resource: '*', Condition: condition }],
      }),
    });
    const get = call('s3:GetObject', object);
    const byUserId = roleWith(deny({ StringEquals: { 'aws:userid': `AROAPRODREAD:alice.${ENDED}` } }));
    expect((await decide(session(ENDED), get, byUserId)).allowed).toBe(false);
    expect((await decide(session(LIVE), get, byUserId)).allowed).toBe(true);
    const byTag = roleWith(deny({ StringEquals: { 'aws:PrincipalTag/jit-grant-id': ENDED } }));
    expect((await decide(session(ENDED), get, byTag)).allowed).toBe(false);
    const byRoleTag = roleWith(deny({ StringEquals: { 'aws:PrincipalTag/jit-broker:managed': 'true' } }));
    expect((await decide(session(LIVE), get, byRoleTag)).allowed).toBe(false);
    const afterNine = roleWith(deny({ DateGreaterThan: { 'aws:CurrentTime': '2026-11-23T09:00:00Z' } }));
    expect((await decide(session(LIVE), get, afterNine)).allowed).toBe(false);
  });

  it('never refuses sts:GetCallerIdentity, even to a killed session (no IAM policy can deny it)', async () => {
    expect(await decide(session(ENDED), call('sts:GetCallerIdentity'), roleWith(killPolicy()))).toEqual({
      allowed: true,
    });
  });

  it('fails closed, saying why, on a call it cannot name, an action it does not know, or a role it cannot read', async () => {
    expect(await refusalOf(session(LIVE), call(undefined))).toMatch(
      /not authorized to perform this scheduler call: the sandbox cannot tell which IAM action .* so it refuses/
    );
    expect(await refusalOf(session(LIVE), call('s3:FlyToTheMoon'))).toMatch(/does not know this IAM action/);
    const unreadable: RoleFactsSource = { read: async () => Promise.reject(new Error('NoSuchEntity')) };
    expect(await refusalOf(session(LIVE), call('s3:GetObject', object), unreadable)).toMatch(
      /could not read the policies of .*prod-read: NoSuchEntity/
    );
  });
});

describe('the role policies the sandbox reuses', () => {
  const counting = () => {
    let reads = 0;
    let fail = false;
    const source: RoleFactsSource = {
      read: async () => {
        reads += 1;
        if (fail) throw new Error('IAM is down');
        return { roleId: 'AROA', tags: {}, identityPolicies: [] };
      },
    };
    return { source, reads: () => reads, failNext: (f: boolean) => (fail = f) };
  };

  it('are read once per TTL, shared by concurrent calls, and read again after it', async () => {
    let now = 0;
    const iam = counting();
    const cached = cachedRoleFacts(iam.source, 1000, () => now);
    await Promise.all([cached.read(ROLE_ARN), cached.read(ROLE_ARN), cached.read(ROLE_ARN)]);
    expect(iam.reads()).toBe(1);
    now = 999;
    await cached.read(ROLE_ARN);
    expect(iam.reads()).toBe(1);
    now = 1000;
    await cached.read(ROLE_ARN);
    expect(iam.reads()).toBe(2);
  });

  it('a failed read is not kept: the next call reads again', async () => {
    const iam = counting();
    const cached = cachedRoleFacts(iam.source, 60_000, () => 0);
    iam.failNext(true);
    await expect(cached.read(ROLE_ARN)).rejects.toThrow('IAM is down');
    iam.failNext(false);
    await expect(cached.read(ROLE_ARN)).resolves.toMatchObject({ roleId: 'AROA' });
    expect(iam.reads()).toBe(2);
  });
});
