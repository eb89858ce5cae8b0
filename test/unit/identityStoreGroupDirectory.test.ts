import {
  AccessDeniedException,
  DescribeGroupCommand,
  GetUserIdCommand,
  IdentitystoreClient,
  IdentitystoreServiceException,
  ListGroupMembershipsForMemberCommand,
  ResourceNotFoundException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-identitystore';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { IdentityStoreGroupDirectory } from '../../functions/adapters/aws/identityStoreGroupDirectory.js';
import { ExpiringCache } from '../../functions/adapters/expiringCache.js';
import { ServiceUnavailableError } from '../../functions/domain/errors.js';
import { offlineClientConfig, rejectionOf, serviceFault, socketError } from '../helpers/awsFaults.js';

const store = mockClient(IdentitystoreClient);
const STORE_ID = 'd-1234567890';
const GROUPS: Record<string, string> = { 'g-sre': 'sre', 'g-oncall': 'oncall', 'g-sec': 'security' };

/** A directory on a fake clock: `clock.now` is what the caches see. */
const directory = (options: { cacheSeconds?: number; cacheEntries?: number } = {}) => {
  const clock = { now: 1_000_000 };
  const groups = new IdentityStoreGroupDirectory(new IdentitystoreClient(offlineClientConfig), {
    identityStoreId: STORE_ID,
    cacheSeconds: options.cacheSeconds ?? 60,
    cacheEntries: options.cacheEntries ?? 100,
    now: () => clock.now,
  });
  return { groups, clock };
};

const modelled = <E extends Error>(
  Exception: new (o: { message: string; $metadata: object }) => E,
  status: number
): E => new Exception({ message: `${Exception.name} (injected)`, $metadata: { httpStatusCode: status } });

/** One membership of carol's, as the store lists it. */
const member = (groupId: string) => ({ IdentityStoreId: STORE_ID, GroupId: groupId, MemberId: { UserId: 'u-carol' } });

const calls = (command: Parameters<typeof store.commandCalls>[0]) => store.commandCalls(command).length;

beforeEach(() => {
  store.reset();
  store.on(GetUserIdCommand).callsFake((input) => {
    const name = input.AlternateIdentifier?.UniqueAttribute?.AttributeValue as string;
    if (name === 'nobody') throw modelled(ResourceNotFoundException, 404);
    return { IdentityStoreId: STORE_ID, UserId: `u-${name}` };
  });
  store.on(ListGroupMembershipsForMemberCommand).resolves({
    GroupMemberships: [
      { IdentityStoreId: STORE_ID, GroupId: 'g-sre', MemberId: { UserId: 'u-carol' } },
      { IdentityStoreId: STORE_ID, GroupId: 'g-oncall', MemberId: { UserId: 'u-carol' } },
    ],
  });
  store.on(DescribeGroupCommand).callsFake((input) => {
    const name = GROUPS[input.GroupId as string];
    if (name === undefined) throw modelled(ResourceNotFoundException, 404);
    return { IdentityStoreId: STORE_ID, GroupId: input.GroupId, DisplayName: name };
  });
});
afterAll(() => store.restore());

describe('IdentityStoreGroupDirectory', () => {
  it("reads a user's groups by user name: GetUserId, their memberships, each group's display name", async () => {
    const { groups } = directory();
    expect(await groups.groupsOf('carol')).toEqual(['oncall', 'sre']);
    expect(store.commandCalls(GetUserIdCommand)[0]?.args[0].input).toEqual({
      IdentityStoreId: STORE_ID,
      AlternateIdentifier: { UniqueAttribute: { AttributePath: 'userName', AttributeValue: 'carol' } },
    });
    expect(store.commandCalls(ListGroupMembershipsForMemberCommand)[0]?.args[0].input).toMatchObject({
      IdentityStoreId: STORE_ID,
      MemberId: { UserId: 'u-carol' },
    });
  });

  it('follows every page of memberships', async () => {
    store
      .on(ListGroupMembershipsForMemberCommand)
      .resolvesOnce({ GroupMemberships: [member('g-sre')], NextToken: 'page-2' })
      .resolvesOnce({ GroupMemberships: [member('g-oncall')], NextToken: 'page-3' })
      .resolvesOnce({ GroupMemberships: [member('g-sec'), member('g-sre')] });
    const { groups } = directory();
    expect(await groups.groupsOf('carol')).toEqual(['oncall', 'security', 'sre']);
    const tokens = store.commandCalls(ListGroupMembershipsForMemberCommand).map((c) => c.args[0].input.NextToken);
    expect(tokens).toEqual([undefined, 'page-2', 'page-3']);
  });

  it('stops at a bounded number of pages rather than following a token forever', async () => {
    store.on(ListGroupMembershipsForMemberCommand).resolves({ GroupMemberships: [], NextToken: 'again' });
    const error = await rejectionOf(directory().groups.groupsOf('carol'));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ code: 'IDENTITY_STORE_TOO_MANY_GROUPS' });
    expect(calls(ListGroupMembershipsForMemberCommand)).toBe(20);
  });

  it('gives a user the store does not know no groups', async () => {
    expect(await directory().groups.groupsOf('nobody')).toEqual([]);
    expect(calls(ListGroupMembershipsForMemberCommand)).toBe(0);
  });

  it('leaves out a group deleted between listing and describing it', async () => {
    store.on(ListGroupMembershipsForMemberCommand).resolves({ GroupMemberships: [member('g-sre'), member('g-gone')] });
    expect(await directory().groups.groupsOf('carol')).toEqual(['sre']);
  });

  describe('cache', () => {
    it('answers again from memory within cacheSeconds, and asks the store after', async () => {
      const { groups, clock } = directory({ cacheSeconds: 60 });
      await groups.groupsOf('carol');
      clock.now += 59_000;
      expect(await groups.groupsOf('carol')).toEqual(['oncall', 'sre']);
      expect(calls(GetUserIdCommand)).toBe(1);
      clock.now += 2_000;
      store.on(ListGroupMembershipsForMemberCommand).resolves({ GroupMemberships: [member('g-sre')] });
      expect(await groups.groupsOf('carol')).toEqual(['sre']);
      expect(calls(GetUserIdCommand)).toBe(2);
    });

    it('shares one lookup between concurrent requests of the same user', async () => {
      const { groups } = directory();
      await Promise.all([groups.groupsOf('carol'), groups.groupsOf('carol'), groups.groupsOf('carol')]);
      expect(calls(GetUserIdCommand)).toBe(1);
    });

    it('describes each group once while its name is cached, across users', async () => {
      const { groups } = directory();
      await groups.groupsOf('carol');
      await groups.groupsOf('bob');
      expect(calls(GetUserIdCommand)).toBe(2);
      expect(calls(DescribeGroupCommand)).toBe(2);
    });

    it('keeps at most cacheEntries users, dropping the least recently used', async () => {
      const { groups } = directory({ cacheEntries: 2 });
      await groups.groupsOf('alice');
      await groups.groupsOf('bob');
      await groups.groupsOf('alice');
      await groups.groupsOf('carol'); // bob, the least recently used, goes
      await groups.groupsOf('alice');
      expect(calls(GetUserIdCommand)).toBe(3);
      await groups.groupsOf('bob');
      expect(calls(GetUserIdCommand)).toBe(4);
    });

    it('asks every time with cacheSeconds 0', async () => {
      const { groups } = directory({ cacheSeconds: 0 });
      await groups.groupsOf('carol');
      await groups.groupsOf('carol');
      expect(calls(GetUserIdCommand)).toBe(2);
    });

    it('remembers nothing from a failed lookup: the next request asks again', async () => {
      store.on(GetUserIdCommand).rejectsOnce(modelled(ThrottlingException, 429));
      const { groups } = directory();
      expect(await rejectionOf(groups.groupsOf('carol'))).toMatchObject({ code: 'IDENTITY_STORE_THROTTLED' });
      store.on(GetUserIdCommand).resolves({ IdentityStoreId: STORE_ID, UserId: 'u-carol' });
      expect(await groups.groupsOf('carol')).toEqual(['oncall', 'sre']);
    });
  });

  describe('errors become domain errors', () => {
    it.each([
      ['throttling', () => modelled(ThrottlingException, 429), 'IDENTITY_STORE_THROTTLED'],
      [
        'a server fault',
        () => serviceFault(IdentitystoreServiceException, 'InternalServerException', 500),
        'IDENTITY_STORE_UNAVAILABLE',
      ],
      ['an unreachable endpoint', () => socketError('ECONNREFUSED'), 'IDENTITY_STORE_UNREACHABLE'],
      ['access denied', () => modelled(AccessDeniedException, 403), 'IDENTITY_STORE_ACCESS_DENIED'],
      ['a validation error (wrong store id)', () => modelled(ValidationException, 400), 'IDENTITY_STORE_MISCONFIGURED'],
    ])('%s on GetUserId → 503 %s', async (_what, fault, code) => {
      store.on(GetUserIdCommand).rejects(fault());
      const error = await rejectionOf(directory().groups.groupsOf('carol'));
      expect(error).toBeInstanceOf(ServiceUnavailableError);
      expect(error).toMatchObject({ code, kind: 'unavailable' });
    });

    it('names the permission to grant when the broker may not read memberships', async () => {
      store.on(ListGroupMembershipsForMemberCommand).rejects(modelled(AccessDeniedException, 403));
      const error = (await rejectionOf(directory().groups.groupsOf('carol'))) as Error;
      expect(error).toMatchObject({ code: 'IDENTITY_STORE_ACCESS_DENIED' });
      expect(error.message).toContain(`identitystore:ListGroupMembershipsForMember on ${STORE_ID}`);
    });

    it('translates a failing DescribeGroup too', async () => {
      store.on(DescribeGroupCommand).rejects(modelled(ThrottlingException, 429));
      expect(await rejectionOf(directory().groups.groupsOf('carol'))).toMatchObject({
        code: 'IDENTITY_STORE_THROTTLED',
      });
    });
  });
});

describe('ExpiringCache', () => {
  it('refuses a cache that can hold nothing', () => {
    expect(() => new ExpiringCache({ maxEntries: 0, ttlMs: 1000 })).toThrow('maxEntries ≥ 1');
  });

  it('never grows beyond maxEntries however many keys arrive', () => {
    const cache = new ExpiringCache<number>({ maxEntries: 3, ttlMs: 60_000 });
    for (let i = 0; i < 1000; i++) cache.set(`k${i}`, i);
    expect(cache.size).toBe(3);
    expect(cache.get('k999')).toBe(999);
    expect(cache.get('k0')).toBeUndefined();
  });
});
