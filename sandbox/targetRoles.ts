import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  EntityAlreadyExistsException,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { ConflictException, CreateScheduleGroupCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { roleArnParts } from '../functions/adapters/aws/iamRolePolicies.js';
import type { ScopeCeiling } from '../functions/domain/catalog.js';
import { accountOf } from './sandboxIam.js';

/** What a target role's trust policy must allow for the broker to vend sessions of it. */
const brokerTrust = (brokerPrincipalArn: string): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: brokerPrincipalArn },
        Action: ['sts:AssumeRole', 'sts:SetSourceIdentity', 'sts:TagSession'],
      },
    ],
  });

/** The managed policy that gives a sandbox target role its permissions: the catalog's ceiling, as IAM. */
const ceilingPolicy = (ceiling: ScopeCeiling): string =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'CatalogCeiling', Effect: 'Allow', Action: ceiling.actions, Resource: ceiling.resources }],
  });

/** Creates the role's ceiling policy (kept when it exists) and attaches it (attaching twice is a no-op). */
const attachCeiling = async (iam: IAMClient, roleArn: string, ceiling: ScopeCeiling): Promise<void> => {
  const { path, name } = roleArnParts(roleArn);
  const policyName = `${name}-ceiling`;
  let policyArn = `arn:aws:iam::${accountOf(roleArn)}:policy${path}${policyName}`;
  try {
    const created = await iam.send(
      new CreatePolicyCommand({ PolicyName: policyName, Path: path, PolicyDocument: ceilingPolicy(ceiling) })
    );
    policyArn = created.Policy?.Arn ?? policyArn;
  } catch (error) {
    if (!(error instanceof EntityAlreadyExistsException)) throw error;
  }
  await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: policyArn }));
};

/**
 * Creates the catalog's target roles in the emulator, trusting `brokerPrincipalArn`, so vending has
 * something to assume, each with its catalog ceiling as a managed permission policy (as a platform
 * team would give a real target role; the sandbox's IAM enforcement evaluates it). Roles that exist
 * already are left as they are. The emulator has one account (123456789012): a role ARN naming
 * another account gets its role created there.
 */
const ensureTargetRoles = async (
  iam: IAMClient,
  /** A role without a ceiling gets no permission policy: under the sandbox's IAM it may do nothing. */
  roles: readonly { readonly roleArn: string; readonly scopeCeiling?: ScopeCeiling }[],
  brokerPrincipalArn: string
): Promise<void> => {
  for (const { roleArn, scopeCeiling } of roles) {
    const { path, name } = roleArnParts(roleArn);
    try {
      await iam.send(
        new CreateRoleCommand({
          RoleName: name,
          Path: path,
          AssumeRolePolicyDocument: brokerTrust(brokerPrincipalArn),
          // STS's ceiling; the broker's own clamp (one hour, role chaining) is what applies.
          MaxSessionDuration: 43_200,
          Tags: [{ Key: 'jit-broker:managed', Value: 'true' }],
        })
      );
    } catch (error) {
      if (!(error instanceof EntityAlreadyExistsException)) throw error;
    }
    if (scopeCeiling !== undefined) await attachCeiling(iam, roleArn, scopeCeiling);
  }
};

/** Creates the schedule group expiry schedules go in. moto accepts a duplicate; AWS answers ConflictException. */
const sandboxScheduleGroup = async (scheduler: SchedulerClient, name: string): Promise<void> => {
  try {
    await scheduler.send(new CreateScheduleGroupCommand({ Name: name }));
  } catch (error) {
    if (!(error instanceof ConflictException)) throw error;
  }
};

export { ceilingPolicy, ensureTargetRoles, sandboxScheduleGroup };
