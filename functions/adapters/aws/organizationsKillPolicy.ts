import {
  AccessDeniedException,
  AccessDeniedForDependencyException,
  AWSOrganizationsNotInUseException,
  ConcurrentModificationException,
  ConstraintViolationException,
  DescribePolicyCommand,
  MalformedPolicyDocumentException,
  type OrganizationsClient,
  PolicyChangesInProgressException,
  PolicyNotFoundException,
  UpdatePolicyCommand,
} from '@aws-sdk/client-organizations';
import { ConflictError, ServiceUnavailableError } from '../../domain/errors.js';
import type { OrgKillPolicy } from '../../ports.js';
import { type OutageCodes, outageError } from './awsErrors.js';

/** The session name of every org killer session; the org killer role's trust policy requires it. */
const ORG_KILLER_SESSION_NAME = 'jit-broker-org-kill';

const ORGANIZATIONS_OUTAGES: OutageCodes = {
  service: 'AWS Organizations',
  throttled: 'ORGANIZATIONS_THROTTLED',
  unreachable: 'ORGANIZATIONS_UNREACHABLE',
  failing: 'ORGANIZATIONS_UNAVAILABLE',
};

/**
 * The organization-wide kill on AWS Organizations: DescribePolicy and UpdatePolicy (Content only)
 * on one pre-created service control policy. Organizations answers these only in the management
 * account or a delegated administrator for policy management (API reference, UpdatePolicy), so
 * the client signs with the org killer role there (infra/orgKill.ts).
 */
class OrganizationsKillPolicy implements OrgKillPolicy {
  readonly #client: OrganizationsClient;
  readonly #policyId: string;

  constructor(client: OrganizationsClient, policyId: string) {
    if (!/^p-[0-9a-zA-Z_]{8,128}$/.test(policyId)) {
      throw new Error(`the organization kill policy id must look like p-xxxxxxxx, got '${policyId}'`);
    }
    this.#client = client;
    this.#policyId = policyId;
  }

  async read(): Promise<string> {
    try {
      const out = await this.#client.send(new DescribePolicyCommand({ PolicyId: this.#policyId }));
      return out.Policy?.Content ?? '';
    } catch (error) {
      throw this.#translate(error);
    }
  }

  async write(document: string): Promise<void> {
    try {
      await this.#client.send(new UpdatePolicyCommand({ PolicyId: this.#policyId, Content: document }));
    } catch (error) {
      throw this.#translate(error);
    }
  }

  #translate(error: unknown): unknown {
    const id = this.#policyId;
    if (error instanceof PolicyNotFoundException) {
      return new ServiceUnavailableError(
        'ORG_KILL_POLICY_MISSING',
        `the organization kill policy ${id} does not exist: create it (docs/ending-access.md) or correct ORG_KILL_POLICY_ID`,
        { cause: error }
      );
    }
    if (
      error instanceof AccessDeniedException ||
      error instanceof AccessDeniedForDependencyException ||
      error instanceof AWSOrganizationsNotInUseException
    ) {
      return new ServiceUnavailableError(
        'ORG_KILL_REFUSED',
        `AWS Organizations refused to change ${id}: the org killer role must be in the management account or a ` +
          'delegated administrator for policy management, and allowed organizations:UpdatePolicy on it (docs/deploy.md)',
        { cause: error }
      );
    }
    if (error instanceof ConstraintViolationException) {
      return new ConflictError(
        'ORG_KILL_POLICY_REFUSED',
        `AWS Organizations refused the content of ${id} (${error.Reason ?? 'constraint violation'}): an SCP holds at most 5,120 characters`,
        { cause: error }
      );
    }
    if (error instanceof ConcurrentModificationException || error instanceof PolicyChangesInProgressException) {
      return new ServiceUnavailableError(
        'ORG_KILL_BUSY',
        `${id} is being changed by another request; the next render (the sweeper's at the latest) writes it`,
        { cause: error }
      );
    }
    if (error instanceof MalformedPolicyDocumentException) {
      // The broker renders every document it writes: Organizations rejecting one is a bug here.
      return new Error(`AWS Organizations rejected ${id} as malformed: ${error.message}`, { cause: error });
    }
    return outageError(error, ORGANIZATIONS_OUTAGES) ?? error;
  }
}

export { ORG_KILLER_SESSION_NAME, OrganizationsKillPolicy };
