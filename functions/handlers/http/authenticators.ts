import { ForbiddenError, NotAuthenticatedError } from '../../domain/errors.js';
import { type IdentitySource, resolveUser } from '../../domain/identity.js';
import type { HttpEvent } from './httpTypes.js';

/** Returns the broker user id of whoever sent the request, from authentication only. */
type Authenticator = (event: HttpEvent) => string;

/** API Gateway verified the SigV4 signature; the identity sources say who that principal is. */
const iamAuthenticator =
  (sources: readonly IdentitySource[]): Authenticator =>
  (event) => {
    const iam = event.requestContext.authorizer?.iam;
    const arn = iam?.userArn;
    if (arn === undefined) {
      throw new NotAuthenticatedError('NOT_AUTHENTICATED', 'sign the request with AWS SigV4 (IAM authorization)');
    }
    // userId is aws:userid (`AROA…:<session>` for a role session): what pinned role ids are checked against.
    const user = resolveUser({ arn, ...(iam?.userId === undefined ? {} : { uniqueId: iam.userId }) }, sources);
    if (user === undefined) {
      throw new ForbiddenError(
        'UNKNOWN_PRINCIPAL',
        `${arn} is not mapped to a broker user by any configured identity source; ask a broker admin to add one`
      );
    }
    return user;
  };

/**
 * The sandbox's local identity: the loopback server sets it from a header. It refuses to work
 * inside Lambda, so even a misconfigured deployment cannot switch it on.
 */
const sandboxAuthenticator = (): Authenticator => {
  if (process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined) {
    throw new Error('the sandbox authenticator cannot run inside AWS Lambda');
  }
  return (event) => {
    const user = event.requestContext.authorizer?.sandbox?.userId;
    if (user === undefined) {
      throw new NotAuthenticatedError(
        'NOT_AUTHENTICATED',
        "say who you are in the sandbox with the header 'x-jit-user: <user id>'"
      );
    }
    return user;
  };
};

export type { Authenticator };
export { iamAuthenticator, sandboxAuthenticator };
