/**
 * Turns an authenticated AWS principal (from API Gateway's IAM authorizer) into a broker user.
 * Only configured sources count, and none of them trusts a name the caller can choose: whoever
 * assumes a role chooses its session name, and whoever may create roles chooses role names.
 */

/**
 * Who signed a request, as API Gateway's IAM authorizer reports it: `userArn` and `userId`.
 * `uniqueId` is IAM's `aws:userid`: `<role id>:<session name>` for an assumed role (`AROA…:alice`),
 * the user id for an IAM user (`AIDA…`). Role and user ids are never reused: a role deleted and
 * created again under the same name gets a new id.
 */
interface SignedPrincipal {
  readonly arn: string;
  readonly uniqueId?: string;
}

/**
 * One IAM Identity Center permission-set role, pinned: its ARN (with the reserved path
 * `/aws-reserved/sso.amazonaws.com/[<region>/]`, as `aws iam list-roles --path-prefix` shows it)
 * and its role id (`AROA…`). An assumed-role ARN does not carry the role's path, so the id is
 * what proves, at request time, that the session is of this very role.
 */
interface PinnedRole {
  readonly arn: string;
  readonly roleId: string;
}

type IdentitySource =
  /** IAM Identity Center: sessions of the pinned roles; the session name is the user name, set by AWS. */
  | { readonly type: 'identity-center'; readonly roles: readonly PinnedRole[] }
  /** IAM users in the listed accounts, by user name. */
  | { readonly type: 'iam-user'; readonly accountIds: readonly string[] }
  /**
   * One exact principal ARN mapped to one user id. An assumed-role or federated-user ARN ends in a
   * name its caller chooses: it counts only with `acceptCallerChosenSessionName`, the operator's
   * statement that everyone who may assume that role may be this user. `uniqueId`, when given,
   * must equal the authorizer's `userId` too (pins the role or user against re-creation).
   */
  | {
      readonly type: 'principal';
      readonly arn: string;
      readonly userId: string;
      readonly uniqueId?: string;
      readonly acceptCallerChosenSessionName?: boolean;
    };

const ASSUMED_ROLE = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/([\w+=,.@-]{2,64})$/;
/** The roles IAM Identity Center creates; the region segment is absent for an identity source in us-east-1. */
const IDENTITY_CENTER_ROLE =
  /^arn:(aws[\w-]*):iam::(\d{12}):role\/aws-reserved\/sso\.amazonaws\.com\/(?:[a-z]{2}(?:-[a-z]+)+-\d{1,2}\/)?(AWSReservedSSO_[\w+=,.@-]+_[0-9a-f]{16})$/;
const IAM_USER = /^arn:aws[\w-]*:iam::(\d{12}):user\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/;
/** ARNs whose last segment is chosen by the caller: role sessions and GetFederationToken users. */
const CALLER_CHOSEN_NAME = /^arn:aws[\w-]*:sts::\d{12}:(?:assumed-role|federated-user)\//;

/** Whether `arn` ends in a name whoever holds the credentials chose (a session name). */
const hasCallerChosenName = (arn: string): boolean => CALLER_CHOSEN_NAME.test(arn);

/** The partition, account and role name of an Identity Center role ARN, or undefined for any other ARN. */
const identityCenterRole = (arn: string) => {
  const match = IDENTITY_CENTER_ROLE.exec(arn);
  return match === null
    ? undefined
    : { partition: match[1] as string, account: match[2] as string, name: match[3] as string };
};

const identityCenterUser = (roles: readonly PinnedRole[], principal: SignedPrincipal): string | undefined => {
  const session = ASSUMED_ROLE.exec(principal.arn);
  if (session === null || principal.uniqueId === undefined) return undefined;
  const [, partition, account, roleName, user] = session as unknown as [string, string, string, string, string];
  const pinned = roles.some((role) => {
    const parsed = identityCenterRole(role.arn);
    return (
      parsed !== undefined &&
      parsed.partition === partition &&
      parsed.account === account &&
      parsed.name === roleName &&
      principal.uniqueId === `${role.roleId}:${user}`
    );
  });
  return pinned ? user : undefined;
};

const userFrom = (source: IdentitySource, principal: SignedPrincipal): string | undefined => {
  switch (source.type) {
    case 'identity-center':
      return identityCenterUser(source.roles, principal);
    case 'iam-user': {
      const match = IAM_USER.exec(principal.arn);
      return match?.[1] !== undefined && source.accountIds.includes(match[1]) ? match[2] : undefined;
    }
    case 'principal': {
      if (principal.arn !== source.arn) return undefined;
      if (hasCallerChosenName(source.arn) && source.acceptCallerChosenSessionName !== true) return undefined;
      if (source.uniqueId !== undefined && principal.uniqueId !== source.uniqueId) return undefined;
      return source.userId;
    }
  }
};

/** The broker user for the signed principal, or undefined when no source vouches for it. */
const resolveUser = (principal: SignedPrincipal, sources: readonly IdentitySource[]): string | undefined => {
  for (const source of sources) {
    const user = userFrom(source, principal);
    if (user !== undefined) return user;
  }
  return undefined;
};

export type { IdentitySource, PinnedRole, SignedPrincipal };
export { hasCallerChosenName, identityCenterRole, resolveUser };
