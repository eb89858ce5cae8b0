import {
  AssumeRoleCommand,
  type AssumeRoleCommandOutput,
  MalformedPolicyDocumentException,
  PackedPolicyTooLargeException,
  RegionDisabledException,
  type STSClient,
} from '@aws-sdk/client-sts';
import { ServiceUnavailableError, ValidationError } from '../../domain/errors.js';
import type { CredentialIssuer, IssuedCredentials, SessionRequest } from '../../ports.js';
import { hasName, type OutageCodes, outageError } from './awsErrors.js';

const STS_OUTAGES: OutageCodes = {
  service: 'STS',
  throttled: 'STS_THROTTLED',
  unreachable: 'STS_UNREACHABLE',
  failing: 'STS_UNAVAILABLE',
};

/** Turns STS's refusals into errors that say what to change; anything unrecognised passes through. */
const translate = (error: unknown, roleArn: string): unknown => {
  if (error instanceof PackedPolicyTooLargeException) {
    return new ValidationError(
      'SESSION_POLICY_TOO_LARGE',
      `STS found the session policy and tags for ${roleArn} too large once packed: ` +
        'ask for fewer actions or resources, or use wildcards that cover several of them',
      { cause: error }
    );
  }
  if (error instanceof MalformedPolicyDocumentException) {
    return new ValidationError(
      'MALFORMED_SESSION_POLICY',
      `STS rejected the session policy for ${roleArn}: ${error.message}; check the requested actions, resources and conditions`,
      { cause: error }
    );
  }
  if (hasName(error, ['AccessDenied', 'AccessDeniedException'])) {
    return new ServiceUnavailableError(
      'TARGET_ROLE_UNTRUSTED',
      `the broker cannot assume ${roleArn}: its trust policy must trust every role the broker stack's VendRoleArn output names (comma-separated; CiVendRoleArns too for CI) and allow sts:SetSourceIdentity and sts:TagSession (docs/deploy.md)`,
      { cause: error }
    );
  }
  if (error instanceof RegionDisabledException) {
    return new ServiceUnavailableError(
      'STS_REGION_DISABLED',
      "STS is not activated in the broker's region for this account; an administrator must activate it in the IAM console",
      { cause: error }
    );
  }
  return outageError(error, STS_OUTAGES) ?? error;
};

/**
 * Reads the credentials out of an AssumeRole answer. The messages name only the role: the secret
 * must never reach an error or a log line.
 */
const issuedFrom = ({ Credentials: c, AssumedRoleUser: user }: AssumeRoleCommandOutput, roleArn: string) => {
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
    throw new Error(`STS answered AssumeRole on ${roleArn} without complete credentials`);
  }
  if (!user?.Arn) throw new Error(`STS answered AssumeRole on ${roleArn} without the assumed role's ARN`);
  const issued: IssuedCredentials = {
    accessKeyId: c.AccessKeyId,
    secretAccessKey: c.SecretAccessKey,
    sessionToken: c.SessionToken,
    expiration: new Date(c.Expiration),
    assumedRoleArn: user.Arn,
  };
  return issued;
};

/** CredentialIssuer on STS AssumeRole: one session per request, narrowed by its session policy. */
class StsCredentialIssuer implements CredentialIssuer {
  readonly #sts: STSClient;

  constructor(client: STSClient) {
    this.#sts = client;
  }

  async issue(request: SessionRequest): Promise<IssuedCredentials> {
    let output: AssumeRoleCommandOutput;
    try {
      output = await this.#sts.send(
        new AssumeRoleCommand({
          RoleArn: request.roleArn,
          RoleSessionName: request.sessionName,
          SourceIdentity: request.sourceIdentity,
          Tags: Object.entries(request.tags).map(([Key, Value]) => ({ Key, Value })),
          Policy: request.policy,
          DurationSeconds: request.durationSeconds,
        })
      );
    } catch (error) {
      throw translate(error, request.roleArn);
    }
    return issuedFrom(output, request.roleArn);
  }
}

export { StsCredentialIssuer };
