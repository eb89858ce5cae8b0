/**
 * Turns an authenticated AWS principal ARN (from API Gateway's IAM authorizer) into a broker user.
 * Only configured sources count: an arbitrary role session name is never trusted, because whoever
 * assumes a role chooses it.
 */
type IdentitySource =
  /** IAM Identity Center: the session name of an AWSReservedSSO_* role is the user name, set by AWS. */
  | { readonly type: 'identity-center'; readonly accountIds: readonly string[] }
  /** IAM users in the listed accounts, by user name. */
  | { readonly type: 'iam-user'; readonly accountIds: readonly string[] }
  /** One exact principal ARN mapped to one user id. */
  | { readonly type: 'principal'; readonly arn: string; readonly userId: string };

const IDENTITY_CENTER_SESSION =
  /^arn:aws[\w-]*:sts::(\d{12}):assumed-role\/AWSReservedSSO_[\w+=,.@-]+_[0-9a-f]{16}\/([\w+=,.@-]{2,64})$/;
const IAM_USER = /^arn:aws[\w-]*:iam::(\d{12}):user\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/;

const userFrom = (source: IdentitySource, arn: string): string | undefined => {
  switch (source.type) {
    case 'principal':
      return arn === source.arn ? source.userId : undefined;
    case 'identity-center':
    case 'iam-user': {
      const match = (source.type === 'identity-center' ? IDENTITY_CENTER_SESSION : IAM_USER).exec(arn);
      return match?.[1] !== undefined && source.accountIds.includes(match[1]) ? match[2] : undefined;
    }
  }
};

/** The broker user for `principalArn`, or undefined when no source vouches for it. */
const resolveUser = (principalArn: string, sources: readonly IdentitySource[]): string | undefined => {
  for (const source of sources) {
    const user = userFrom(source, principalArn);
    if (user !== undefined) return user;
  }
  return undefined;
};

export type { IdentitySource };
export { resolveUser };
