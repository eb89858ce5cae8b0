import {
  AlreadyInOrganizationException,
  AttachPolicyCommand,
  CreateOrganizationCommand,
  CreatePolicyCommand,
  DuplicatePolicyAttachmentException,
  ListPoliciesCommand,
  ListRootsCommand,
  OrganizationsClient,
} from '@aws-sdk/client-organizations';
import { OrganizationsKillPolicy } from '../functions/adapters/aws/organizationsKillPolicy.js';
import { EMPTY_ORG_KILL } from '../functions/domain/orgKill.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './localAws.js';

/** The name of the kill SCP, in the sandbox as in the deploy guide (docs/ending-access.md). */
const ORG_KILL_POLICY_NAME = 'jit-broker-org-kill';

/**
 * The organization-wide kill on the emulator (moto_server): an organization, and in it the kill
 * SCP attached at the root, made once and found again on the next start. The broker writes it
 * through the same adapter it uses in AWS; `document()` is what the organization holds now, for
 * whatever evaluates calls in the sandbox.
 */
const sandboxOrgKill = async (endpoint: string) => {
  const client = new OrganizationsClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  await client.send(new CreateOrganizationCommand({ FeatureSet: 'ALL' })).catch((error: Error) => {
    if (!(error instanceof AlreadyInOrganizationException)) throw error;
  });
  const listed = await client.send(new ListPoliciesCommand({ Filter: 'SERVICE_CONTROL_POLICY' }));
  let policyId = listed.Policies?.find((p) => p.Name === ORG_KILL_POLICY_NAME)?.Id;
  if (policyId === undefined) {
    const created = await client.send(
      new CreatePolicyCommand({
        Name: ORG_KILL_POLICY_NAME,
        Description: 'jit-broker: denies the sessions of ended grants, wherever they chained to',
        Type: 'SERVICE_CONTROL_POLICY',
        Content: EMPTY_ORG_KILL,
      })
    );
    policyId = created.Policy?.PolicySummary?.Id as string;
  }
  const root = (await client.send(new ListRootsCommand({}))).Roots?.[0]?.Id;
  if (root !== undefined) {
    await client.send(new AttachPolicyCommand({ PolicyId: policyId, TargetId: root })).catch((error: Error) => {
      if (!(error instanceof DuplicatePolicyAttachmentException)) throw error;
    });
  }
  const policy = new OrganizationsKillPolicy(client, policyId);
  return { policy, policyId, document: () => policy.read(), stop: () => client.destroy() };
};

export { ORG_KILL_POLICY_NAME, sandboxOrgKill };
