import { CreateRoleCommand, EntityAlreadyExistsException, type IAMClient } from '@aws-sdk/client-iam';
import { ConflictException, CreateScheduleGroupCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import { roleArnParts } from '../functions/adapters/aws/iamRolePolicies.js';

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

/**
 * Creates the catalog's target roles in the emulator, trusting `brokerPrincipalArn`, so vending has
 * something to assume. Roles that exist already are left as they are. The emulator has one account
 * (123456789012): a role ARN naming another account gets its role created there.
 */
const ensureTargetRoles = async (
  iam: IAMClient,
  roles: readonly { readonly roleArn: string }[],
  brokerPrincipalArn: string
): Promise<void> => {
  for (const { roleArn } of roles) {
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

export { ensureTargetRoles, sandboxScheduleGroup };
