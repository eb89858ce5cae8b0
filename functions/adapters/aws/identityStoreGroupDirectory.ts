import {
  AccessDeniedException,
  DescribeGroupCommand,
  GetUserIdCommand,
  type IdentitystoreClient,
  ListGroupMembershipsForMemberCommand,
  type ListGroupMembershipsForMemberCommandOutput,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-identitystore';
import { ServiceUnavailableError } from '../../domain/errors.js';
import type { GroupDirectory } from '../../ports.js';
import { ExpiringCache } from '../expiringCache.js';
import { type OutageCodes, outageError } from './awsErrors.js';

const OUTAGES: OutageCodes = {
  service: 'the IAM Identity Center identity store',
  throttled: 'IDENTITY_STORE_THROTTLED',
  unreachable: 'IDENTITY_STORE_UNREACHABLE',
  failing: 'IDENTITY_STORE_UNAVAILABLE',
};

/** The API allows 100 memberships a page; 20 pages (2,000 groups) is beyond any sane membership. */
const PAGE_SIZE = 100;
const MAX_PAGES = 20;
/** DescribeGroup calls in flight at once for one user, to stay clear of the store's request rate. */
const DESCRIBE_CONCURRENCY = 5;

interface IdentityStoreGroupDirectoryOptions {
  readonly identityStoreId: string;
  /** How long a user's groups (and a group's name) are reused; 0 asks the store on every request. */
  readonly cacheSeconds: number;
  /** Users (and, separately, group names) remembered at most; the least recently used go first. */
  readonly cacheEntries: number;
  readonly now?: () => number;
}

/**
 * Group membership from IAM Identity Center's identity store, for callers recognised as Identity
 * Center users (their session name is their user name): GetUserId by `userName`, then every page
 * of ListGroupMembershipsForMember, then each group's DisplayName (DescribeGroup) — the names
 * policies use (`group:sre`, `Jit::Group::"sre"`).
 *
 * Both lookups are cached per process for `cacheSeconds`, bounded by `cacheEntries`: a membership
 * removed in Identity Center stops counting here within that time. A user the store does not know
 * has no groups. Outages and refusals become ServiceUnavailableError (503) naming what to fix;
 * nothing is cached from a failed lookup.
 */
class IdentityStoreGroupDirectory implements GroupDirectory {
  readonly #client: IdentitystoreClient;
  readonly #storeId: string;
  readonly #users: ExpiringCache<Promise<readonly string[]>>;
  readonly #groupNames: ExpiringCache<Promise<string | undefined>>;

  constructor(client: IdentitystoreClient, options: IdentityStoreGroupDirectoryOptions) {
    this.#client = client;
    this.#storeId = options.identityStoreId;
    const cache = {
      maxEntries: options.cacheEntries,
      ttlMs: options.cacheSeconds * 1000,
      ...(options.now ? { now: options.now } : {}),
    };
    this.#users = new ExpiringCache(cache);
    this.#groupNames = new ExpiringCache(cache);
  }

  groupsOf(userName: string): Promise<readonly string[]> {
    return this.#users.memo(userName, () => this.#lookUp(userName));
  }

  async #lookUp(userName: string): Promise<readonly string[]> {
    const userId = await this.#userId(userName);
    if (userId === undefined) return [];
    const groupIds = await this.#groupIdsOf(userId);
    const names: (string | undefined)[] = [];
    for (let i = 0; i < groupIds.length; i += DESCRIBE_CONCURRENCY) {
      const batch = groupIds.slice(i, i + DESCRIBE_CONCURRENCY);
      names.push(...(await Promise.all(batch.map((id) => this.#groupNames.memo(id, () => this.#groupName(id))))));
    }
    return [...new Set(names.filter((n): n is string => n !== undefined))].sort();
  }

  async #userId(userName: string): Promise<string | undefined> {
    try {
      const answer = await this.#client.send(
        new GetUserIdCommand({
          IdentityStoreId: this.#storeId,
          AlternateIdentifier: { UniqueAttribute: { AttributePath: 'userName', AttributeValue: userName } },
        })
      );
      return answer.UserId;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw this.#translate(error, 'GetUserId');
    }
  }

  async #groupIdsOf(userId: string): Promise<string[]> {
    const ids: string[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      let answer: ListGroupMembershipsForMemberCommandOutput;
      try {
        answer = await this.#client.send(
          new ListGroupMembershipsForMemberCommand({
            IdentityStoreId: this.#storeId,
            MemberId: { UserId: userId },
            MaxResults: PAGE_SIZE,
            ...(nextToken ? { NextToken: nextToken } : {}),
          })
        );
      } catch (error) {
        throw this.#translate(error, 'ListGroupMembershipsForMember');
      }
      for (const membership of answer.GroupMemberships ?? []) {
        if (membership.GroupId) ids.push(membership.GroupId);
      }
      nextToken = answer.NextToken;
      if (!nextToken) return [...new Set(ids)];
    }
    throw new ServiceUnavailableError(
      'IDENTITY_STORE_TOO_MANY_GROUPS',
      `the identity store lists more than ${MAX_PAGES * PAGE_SIZE} group memberships for one user; the broker stops there`
    );
  }

  /** The group's display name; undefined when it was deleted since the membership was listed. */
  async #groupName(groupId: string): Promise<string | undefined> {
    try {
      const answer = await this.#client.send(
        new DescribeGroupCommand({ IdentityStoreId: this.#storeId, GroupId: groupId })
      );
      return answer.DisplayName;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw this.#translate(error, 'DescribeGroup');
    }
  }

  #translate(error: unknown, operation: string): Error {
    const outage = outageError(error, OUTAGES);
    if (outage) return outage;
    if (error instanceof AccessDeniedException) {
      return new ServiceUnavailableError(
        'IDENTITY_STORE_ACCESS_DENIED',
        `the broker may not call identitystore:${operation} on ${this.#storeId}: its API functions need ` +
          'identitystore:GetUserId, ListGroupMembershipsForMember and DescribeGroup (docs/identity.md)',
        { cause: error }
      );
    }
    if (error instanceof ValidationException || error instanceof ResourceNotFoundException) {
      return new ServiceUnavailableError(
        'IDENTITY_STORE_MISCONFIGURED',
        `the identity store refused ${operation} on ${this.#storeId} (${error.message}): check identityStoreId and ` +
          'region under "groups" in identity-sources.json',
        { cause: error }
      );
    }
    return error instanceof Error ? error : new Error(String(error));
  }
}

export type { IdentityStoreGroupDirectoryOptions };
export { IdentityStoreGroupDirectory };
