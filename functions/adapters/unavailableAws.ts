import { ServiceUnavailableError } from '../domain/errors.js';
import type { CredentialIssuer, ExpiryScheduler, Logger, RolePolicies } from '../ports.js';

/**
 * Stand-ins for STS and IAM when the sandbox has neither an emulator nor AWS credentials: every
 * call says what to install or configure. Expiry still works without them — the sweeper ends
 * overdue grants — so the scheduler stand-in only notes that it has nothing to do.
 */
const unavailableAws = (
  howToEnable: string,
  logger: Logger
): { credentials: CredentialIssuer; rolePolicies: RolePolicies; expiry: ExpiryScheduler } => {
  const refuse = async (): Promise<never> => {
    throw new ServiceUnavailableError('VENDING_UNAVAILABLE', howToEnable);
  };
  return {
    credentials: { issue: refuse },
    rolePolicies: { list: refuse, put: refuse, delete: refuse },
    expiry: {
      schedule: async (grantId) => logger.info('no scheduler: the sweeper will expire this grant', { grantId }),
      cancel: async () => {},
    },
  };
};

export { unavailableAws };
