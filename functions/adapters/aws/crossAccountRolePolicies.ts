import { IAMClient, type IAMClientConfig } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, type AssumeRoleCommandOutput, type STSClient } from '@aws-sdk/client-sts';
import { ServiceUnavailableError } from '../../domain/errors.js';
import type { InlinePolicy, RolePolicies } from '../../ports.js';
import { type OutageCodes, outageError } from './awsErrors.js';
import { IamRolePolicies } from './iamRolePolicies.js';

/** The role each workload account deploys for the broker to write kill policies (infra/sessionKiller.ts). */
const DEFAULT_SESSION_KILLER_ROLE_NAME = 'jit-broker-session-killer';

/** The session name of every killer session; the killer role's trust policy requires it. */
const KILLER_SESSION_NAME = 'jit-broker-kill';

/** Assumed credentials are used until this close to their expiry, then assumed again. */
const REFRESH_BEFORE_EXPIRY_MS = 5 * 60 * 1000;

/** What the IAM clients for other accounts sign with (an SDK KillerCredentials). */
interface KillerCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
}

const STS_OUTAGES: OutageCodes = {
  service: 'STS',
  throttled: 'STS_THROTTLED',
  unreachable: 'STS_UNREACHABLE',
  failing: 'STS_UNAVAILABLE',
};

/** The partition and account of a role ARN: `arn:aws:iam::222222222222:role/jit/x` → `aws`, `222222222222`. */
const roleArnAccount = (roleArn: string): { readonly partition: string; readonly account: string } => {
  const match = /^arn:([\w-]+):iam::(\d{12}):role\/./.exec(roleArn);
  if (match === null) throw new Error(`${roleArn} is not an IAM role ARN`);
  return { partition: match[1] as string, account: match[2] as string };
};

/** The session killer role's ARN in the account (and partition) of a target role. */
const sessionKillerArn = (roleArn: string, killerRoleName = DEFAULT_SESSION_KILLER_ROLE_NAME): string => {
  const { partition, account } = roleArnAccount(roleArn);
  return `arn:${partition}:iam::${account}:role/${killerRoleName}`;
};

interface CrossAccountRolePoliciesOptions {
  /** The account the broker runs in: its roles are changed with `iam`, as before. */
  readonly brokerAccountId: string;
  /** The broker's own IAM client (its function role's credentials). */
  readonly iam: IAMClient;
  /** Assumes the session killer role in other accounts, with the broker's own credentials. */
  readonly sts: STSClient;
  /** Default `jit-broker-session-killer` (the JitSessionKiller construct's default). */
  readonly killerRoleName?: string;
  /** Configuration of the IAM clients for other accounts (region, endpoint, retries); credentials are the killer's. */
  readonly iamClientConfig?: Omit<IAMClientConfig, 'credentials'>;
}

/**
 * RolePolicies across accounts. IAM only lets a role's inline policies be changed from inside the
 * role's own account, so each call is routed by the role ARN's account: roles in the broker's
 * account go through the broker's own IAM client; roles in another account go through an IAM client
 * whose credentials come from assuming that account's session killer role
 * (`arn:<partition>:iam::<account>:role/jit-broker-session-killer`, session `jit-broker-kill`).
 *
 * One client per account for the life of the process: the assumed credentials are reused until
 * five minutes before they expire (as `fromTemporaryCredentials` under an SDK client does), and a
 * failed assume is not remembered, so the next call (the sweeper's, at the latest) tries again.
 * The translation of IAM's answers stays in IamRolePolicies.
 */
class CrossAccountRolePolicies implements RolePolicies {
  readonly #options: CrossAccountRolePoliciesOptions;
  readonly #own: RolePolicies;
  readonly #others = new Map<
    string,
    { readonly policies: RolePolicies; readonly credentials: () => Promise<KillerCredentials> }
  >();

  constructor(options: CrossAccountRolePoliciesOptions) {
    if (!/^\d{12}$/.test(options.brokerAccountId)) {
      throw new Error(`the broker account id must be 12 digits, got '${options.brokerAccountId}'`);
    }
    this.#options = options;
    this.#own = new IamRolePolicies(options.iam);
  }

  async list(roleArn: string): Promise<readonly InlinePolicy[]> {
    return (await this.#for(roleArn)).list(roleArn);
  }

  async put(roleArn: string, policy: InlinePolicy): Promise<void> {
    await (await this.#for(roleArn)).put(roleArn, policy);
  }

  async delete(roleArn: string, name: string): Promise<void> {
    await (await this.#for(roleArn)).delete(roleArn, name);
  }

  /**
   * The RolePolicies for the role's account. For another account the killer's credentials are
   * resolved here, before any IAM call (from the cache, or by assuming the role): a killer that
   * cannot be assumed fails with its own error, whatever the SDK does with a failing credential
   * provider, and the IAM client then signs with the same cached credentials.
   */
  async #for(roleArn: string): Promise<RolePolicies> {
    const { account } = roleArnAccount(roleArn);
    if (account === this.#options.brokerAccountId) return this.#own;
    let other = this.#others.get(account);
    if (other === undefined) {
      const credentials = this.#killerCredentials(sessionKillerArn(roleArn, this.#options.killerRoleName), account);
      other = {
        credentials,
        policies: new IamRolePolicies(new IAMClient({ ...this.#options.iamClientConfig, credentials })),
      };
      this.#others.set(account, other);
    }
    await other.credentials();
    return other.policies;
  }

  /** A credential provider for the killer role: assumes it on first use and again near expiry. */
  #killerCredentials(killerArn: string, account: string): () => Promise<KillerCredentials> {
    let cached: Promise<KillerCredentials> | undefined;
    return async () => {
      const current = cached ? await cached.catch(() => undefined) : undefined;
      if (current?.expiration && current.expiration.getTime() - REFRESH_BEFORE_EXPIRY_MS > Date.now()) return current;
      const assumed = this.#assume(killerArn, account);
      cached = assumed;
      // A failure is not cached: the next call assumes again.
      assumed.catch(() => {
        if (cached === assumed) cached = undefined;
      });
      return assumed;
    };
  }

  async #assume(killerArn: string, account: string): Promise<KillerCredentials> {
    let answer: AssumeRoleCommandOutput;
    try {
      answer = await this.#options.sts.send(
        new AssumeRoleCommand({ RoleArn: killerArn, RoleSessionName: KILLER_SESSION_NAME })
      );
    } catch (error) {
      // An STS outage is reported as one; any refusal (no such role, not trusted) means the killer is not deployed right.
      throw (
        outageError(error, STS_OUTAGES) ??
        new ServiceUnavailableError(
          'KILLER_ROLE_UNAVAILABLE',
          `cannot assume ${killerArn}: deploy the session killer (JitSessionKiller) in account ${account} (docs/deploy.md)`,
          { cause: error }
        )
      );
    }
    const c = answer.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !c.Expiration) {
      // The message names only the role: the secret must never reach an error or a log line.
      throw new Error(`STS answered AssumeRole on ${killerArn} without complete credentials`);
    }
    return {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration: new Date(c.Expiration),
    };
  }
}

export type { CrossAccountRolePoliciesOptions };
export {
  CrossAccountRolePolicies,
  DEFAULT_SESSION_KILLER_ROLE_NAME,
  KILLER_SESSION_NAME,
  roleArnAccount,
  sessionKillerArn,
};
