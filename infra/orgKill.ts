import { type IGrantable, PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { ORG_KILLER_SESSION_NAME } from '../functions/adapters/aws/organizationsKillPolicy.js';
import { killerRole } from './killerRole.js';

/** The calls the organization kill renderer makes (functions/adapters/aws/organizationsKillPolicy.ts). */
const ORG_KILL_ACTIONS = ['organizations:DescribePolicy', 'organizations:UpdatePolicy'];

const DEFAULT_ORG_KILLER_ROLE_NAME = 'jit-broker-org-killer';

/** `arn:aws:organizations::<management account>:policy/o-…/service_control_policy/p-…` (PolicySummary, API reference). */
const SCP_ARN =
  /^arn:[\w-]+:organizations::\d{12}:policy\/o-[a-z0-9]{10,32}\/service_control_policy\/(p-[0-9a-zA-Z_]{8,128})$/;

/** The policy id of an SCP's ARN; throws on anything else (a typo must fail synth, not the first kill). */
const scpPolicyId = (policyArn: string): string => {
  const id = SCP_ARN.exec(policyArn)?.[1];
  if (id === undefined) {
    throw new Error(
      `${policyArn} is not a service control policy ARN (arn:aws:organizations::<account>:policy/o-…/service_control_policy/p-…)`
    );
  }
  return id;
};

interface JitOrgKillerProps {
  /** The ARN of the pre-created kill SCP (docs/ending-access.md, "Organization-wide kill"). */
  readonly policyArn: string;
  /**
   * ARNs of the broker's ending functions' roles (output `SessionKillerTrustedRoleArns` of the
   * broker's stack, comma-separated): only they may assume the org killer.
   */
  readonly brokerRoleArns: readonly string[];
  /** Default `jit-broker-org-killer`. */
  readonly roleName?: string;
}

/**
 * The org killer, for the account that may change SCPs: the organization's management account, or
 * a member account that is a delegated administrator for policy management (AWS Organizations API
 * reference, UpdatePolicy). The broker's ending functions assume it to rewrite the one kill SCP.
 *
 * It trusts only those functions, with the broker's session name, and may only read and update
 * that one policy: not create, attach, detach or delete any. The SCP itself is created and attached
 * by the platform team (it is not a CloudFormation resource here, so no stack update can put its
 * placeholder content back over the broker's kills).
 */
class JitOrgKiller extends Construct {
  readonly role: Role;

  constructor(scope: Construct, id: string, props: JitOrgKillerProps) {
    super(scope, id);
    scpPolicyId(props.policyArn);
    this.role = killerRole(this, 'Role', {
      owner: 'JitOrgKiller',
      roleName: props.roleName ?? DEFAULT_ORG_KILLER_ROLE_NAME,
      description: "Assumed by jit-broker to deny ended grants' sessions organization-wide in its kill SCP",
      brokerRoleArns: props.brokerRoleArns,
      sessionName: ORG_KILLER_SESSION_NAME,
      policyName: 'OrgKillPolicy',
      statements: [
        new PolicyStatement({
          sid: 'TheKillScpOnly',
          actions: ORG_KILL_ACTIONS,
          resources: [props.policyArn],
        }),
      ],
    });
  }
}

/** What the broker's stack needs to write the kill SCP: the policy and the org killer to write it with. */
interface OrgKillWiring {
  /** The kill SCP's ARN (its id is taken from it). */
  readonly policyArn: string;
  /** The JitOrgKiller role's ARN in the management (or delegated administrator) account. */
  readonly killerRoleArn: string;
  /** Where the Organizations endpoint is: us-east-1 in the `aws` partition (the default). */
  readonly region?: string;
}

/**
 * Turns the organization-wide kill on for one ending function: where its SCP is, whom to assume to
 * write it (functions/handlers/lambda/awsPorts.ts reads these), and the permission to assume exactly that.
 */
const wireOrgKill = (fn: LambdaFunction & IGrantable, wiring: OrgKillWiring): void => {
  fn.addEnvironment('ORG_KILL_POLICY_ID', scpPolicyId(wiring.policyArn));
  fn.addEnvironment('ORG_KILLER_ROLE_ARN', wiring.killerRoleArn);
  if (wiring.region !== undefined) fn.addEnvironment('ORG_KILL_REGION', wiring.region);
  fn.addToRolePolicy(new PolicyStatement({ actions: ['sts:AssumeRole'], resources: [wiring.killerRoleArn] }));
};

export type { JitOrgKillerProps, OrgKillWiring };
export { DEFAULT_ORG_KILLER_ROLE_NAME, JitOrgKiller, ORG_KILL_ACTIONS, scpPolicyId, wireOrgKill };
