import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  type IAMClient,
  LimitExceededException,
  ListRolePoliciesCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { ConflictError, ServiceUnavailableError } from '../../domain/errors.js';
import type { InlinePolicy, RolePolicies } from '../../ports.js';
import { type OutageCodes, outageError } from './awsErrors.js';

const IAM_OUTAGES: OutageCodes = {
  service: 'IAM',
  throttled: 'IAM_THROTTLED',
  unreachable: 'IAM_UNREACHABLE',
  failing: 'IAM_UNAVAILABLE',
};

/**
 * The path and name of a role ARN: `arn:aws:iam::123456789012:role/jit/prod-read` → `/jit/`, `prod-read`.
 * IAM's role APIs take only the name; the path matters when creating the role.
 */
const roleArnParts = (roleArn: string): { readonly path: string; readonly name: string } => {
  const resource = /^arn:[\w-]+:iam::\d{12}:role(\/.+)$/.exec(roleArn)?.[1];
  const slash = resource?.lastIndexOf('/') ?? -1;
  const name = resource?.slice(slash + 1);
  if (resource === undefined || !name) throw new Error(`${roleArn} is not an IAM role ARN`);
  return { path: resource.slice(0, slash + 1), name };
};

const roleMissing = (roleArn: string, error: unknown): ServiceUnavailableError =>
  new ServiceUnavailableError(
    'TARGET_ROLE_MISSING',
    `the target role ${roleArn} does not exist in IAM; create it or correct its ARN in the catalog`,
    { cause: error }
  );

/** IAM errors every call can meet; NoSuchEntity means something different per call and is handled there. */
const translate = (error: unknown, roleArn: string, policyName: string | undefined): unknown => {
  if (error instanceof LimitExceededException) {
    return new ConflictError(
      'INLINE_POLICY_BUDGET',
      `IAM refused inline policy ${policyName} on ${roleArn}: a role's inline policies share 10,240 characters ` +
        '(whitespace not counted); end or prune revocations on this role, or shrink its other inline policies',
      { cause: error }
    );
  }
  if (error instanceof MalformedPolicyDocumentException) {
    // The broker renders every document it writes, so IAM rejecting one is a bug here, not a caller's mistake.
    return new Error(`IAM rejected inline policy ${policyName} on ${roleArn} as malformed: ${error.message}`, {
      cause: error,
    });
  }
  return outageError(error, IAM_OUTAGES) ?? error;
};

/** RolePolicies on IAM inline role policies. */
class IamRolePolicies implements RolePolicies {
  readonly #iam: IAMClient;

  constructor(client: IAMClient) {
    this.#iam = client;
  }

  async list(roleArn: string): Promise<readonly InlinePolicy[]> {
    const role = roleArnParts(roleArn).name;
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const page = await this.#call(
        roleArn,
        undefined,
        () => this.#iam.send(new ListRolePoliciesCommand({ RoleName: role, ...(marker ? { Marker: marker } : {}) })),
        (error) => {
          throw roleMissing(roleArn, error);
        }
      );
      names.push(...(page.PolicyNames ?? []));
      marker = page.IsTruncated ? page.Marker : undefined;
    } while (marker !== undefined);

    const policies: InlinePolicy[] = [];
    // One at a time: IAM's request rate is low and shared with everything else in the account.
    for (const name of names) {
      const got = await this.#call(
        roleArn,
        name,
        () => this.#iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: name })),
        // Deleted between the listing and now: it is no longer one of the role's policies.
        () => undefined
      );
      // IAM returns documents URL-encoded (RFC 3986); the SDK does not decode them.
      if (got?.PolicyDocument !== undefined) policies.push({ name, document: decodeURIComponent(got.PolicyDocument) });
    }
    return policies;
  }

  async put(roleArn: string, policy: InlinePolicy): Promise<void> {
    await this.#call(
      roleArn,
      policy.name,
      () =>
        this.#iam.send(
          new PutRolePolicyCommand({
            RoleName: roleArnParts(roleArn).name,
            PolicyName: policy.name,
            PolicyDocument: policy.document,
          })
        ),
      (error) => {
        throw roleMissing(roleArn, error);
      }
    );
  }

  async delete(roleArn: string, name: string): Promise<void> {
    await this.#call(
      roleArn,
      name,
      () => this.#iam.send(new DeleteRolePolicyCommand({ RoleName: roleArnParts(roleArn).name, PolicyName: name })),
      // Already gone (or its role is): what delete wanted is true.
      () => undefined
    );
  }

  async #call<T, M>(
    roleArn: string,
    policyName: string | undefined,
    send: () => Promise<T>,
    ifMissing: (error: NoSuchEntityException) => M
  ): Promise<T | M> {
    try {
      return await send();
    } catch (error) {
      if (error instanceof NoSuchEntityException) return ifMissing(error);
      throw translate(error, roleArn, policyName);
    }
  }
}

export { IamRolePolicies, roleArnParts };
