import { formatDuration, parseDuration } from '../../functions/domain/duration.js';
import { MIN_GRANT_SECONDS } from '../../functions/domain/grant.js';
import type { EndedGrantView, VendedCredentials } from '../api/brokerApi.js';
import { createBrokerClient } from '../api/brokerClient.js';
import type { HttpFetch } from '../api/httpTransport.js';
import { LOOPBACK_HOSTS, parseApiUrl, readIfExists } from '../config.js';
import { overAlready } from '../endReport.js';
import { ApiError, UsageError } from '../errors.js';
import { findSandboxToken } from '../sandboxToken.js';
import { appendCommandFile, maskCommand } from './githubRunner.js';

/** What the broker answers a CI job (POST /ci/credentials). */
interface CiVend {
  readonly grantId: string;
  readonly role: string;
  readonly accountId: string;
  /** The assumed-role session ARN: `arn:aws:sts::<account>:assumed-role/<role>/ci.<run>.<grant>`. */
  readonly sessionArn: string;
  readonly expiresAt: string;
  readonly credentials: VendedCredentials;
}

interface CiDeploy {
  readonly template: string;
  readonly role?: string;
  readonly inputs: Record<string, string>;
  readonly durationSeconds?: number;
}

/** What a job asks for, as typed: `--input`/`inputs:` lines are `name=value`, `--for`/`for:` a duration. */
interface DeployAsTyped {
  readonly template: string;
  readonly role?: string;
  readonly inputs: readonly string[];
  readonly for?: string;
}

const inputsOf = (pairs: readonly string[]): Record<string, string> =>
  Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new UsageError(`an input is name=value, got '${pair}'`);
      return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
    })
  );

/** The deploy to ask the broker for. Too short a duration is said here; too long by the broker, which knows the maximum. */
const deployRequest = (typed: DeployAsTyped): CiDeploy => {
  const seconds = typed.for === undefined ? undefined : parseDuration(typed.for);
  if (seconds !== undefined && seconds < MIN_GRANT_SECONDS) {
    throw new UsageError(`${typed.for} is shorter than a deploy may be: at least ${formatDuration(MIN_GRANT_SECONDS)}`);
  }
  return {
    template: typed.template,
    ...(typed.role ? { role: typed.role } : {}),
    inputs: inputsOf(typed.inputs),
    ...(seconds === undefined ? {} : { durationSeconds: seconds }),
  };
};

/** The broker's "too long" names the maximum; say it of the duration as it was typed. */
const inTermsOfFor = (error: unknown, typed: string | undefined): unknown =>
  error instanceof ApiError && error.code === 'DURATION_ABOVE_MAXIMUM' && typed !== undefined
    ? new ApiError(error.status, error.code, `${typed} is too long for this deploy: ${error.message}`)
    : error;

/** How `done` went: the grant it ended, or why there was nothing left to end. */
type CiDone = { readonly ended: EndedGrantView } | { readonly alreadyOver: string };

/**
 * The broker's CI routes. The job's OIDC token is the identity: nothing is signed. The loopback
 * sandbox also wants its per-start token ($JIT_SANDBOX_TOKEN or the file it wrote), a job's calls included.
 */
const ciBroker = (fetch: HttpFetch, api: string, env: NodeJS.ProcessEnv) => {
  const apiUrl = parseApiUrl(api);
  const call = createBrokerClient(
    LOOPBACK_HOSTS.has(apiUrl.hostname)
      ? { apiUrl, mode: 'sandbox', sandboxToken: findSandboxToken(apiUrl, env, readIfExists) }
      : { apiUrl, mode: 'aws' },
    {
      fetch,
      credentials: () => Promise.reject(new Error('CI calls are authenticated by the job token, not signed')),
    }
  );
  const grantPath = (grantId: string, action: string) => `/ci/grants/${encodeURIComponent(grantId)}/${action}`;
  return {
    vend: (token: string, typed: DeployAsTyped) =>
      call<CiVend>('POST', '/ci/credentials', { body: deployRequest(typed), bearer: token }).catch((error: unknown) =>
        Promise.reject(inTermsOfFor(error, typed.for))
      ),
    done: async (token: string, grantId: string): Promise<CiDone> => {
      try {
        return { ended: await call<EndedGrantView>('POST', grantPath(grantId, 'done'), { bearer: token }) };
      } catch (error) {
        const over = overAlready(error);
        if (over === undefined) throw error;
        return { alreadyOver: over };
      }
    },
  };
};

/** The environment a deploy step runs with: the session, its end, the Region, and the grant to end. */
const deployEnvironment = (vend: CiVend, region: string | undefined): [string, string][] => [
  ['AWS_ACCESS_KEY_ID', vend.credentials.AccessKeyId],
  ['AWS_SECRET_ACCESS_KEY', vend.credentials.SecretAccessKey],
  ['AWS_SESSION_TOKEN', vend.credentials.SessionToken],
  ['AWS_CREDENTIAL_EXPIRATION', vend.credentials.Expiration],
  ...(region === undefined
    ? []
    : ([
        ['AWS_REGION', region],
        ['AWS_DEFAULT_REGION', region],
      ] as [string, string][])),
  ['JIT_GRANT_ID', vend.grantId],
];

/** The deploy without its secrets: what may go to a log or a script's stdout. */
const deployFacts = (vend: CiVend) => ({
  grantId: vend.grantId,
  role: vend.role,
  accountId: vend.accountId,
  sessionArn: vend.sessionArn,
  expiresAt: vend.expiresAt,
  expiration: vend.credentials.Expiration,
});

/** The step outputs, named like configure-aws-credentials' (aws-account-id, authenticated-arn, aws-expiration). */
const deployOutputs = (vend: CiVend): [string, string][] => [
  ['grant-id', vend.grantId],
  ['aws-account-id', vend.accountId],
  ['authenticated-arn', vend.sessionArn],
  ['aws-expiration', vend.credentials.Expiration],
];

/**
 * On GitHub Actions: all three credential values masked first (the access key id too: it names
 * the session in CloudTrail), then the environment for the next steps ($GITHUB_ENV) and the step's
 * outputs ($GITHUB_OUTPUT). `command` writes a workflow command where the runner reads it.
 */
const deliverToGithub = async (
  command: (line: string) => void,
  env: NodeJS.ProcessEnv,
  vend: CiVend,
  region: string | undefined
) => {
  const { AccessKeyId, SecretAccessKey, SessionToken } = vend.credentials;
  for (const secret of [AccessKeyId, SecretAccessKey, SessionToken]) command(maskCommand(secret));
  if (env.GITHUB_ENV) await appendCommandFile(env.GITHUB_ENV, deployEnvironment(vend, region));
  if (env.GITHUB_OUTPUT) await appendCommandFile(env.GITHUB_OUTPUT, deployOutputs(vend));
};

export type { CiDeploy, CiDone, CiVend, DeployAsTyped };
export { ciBroker, deliverToGithub, deployEnvironment, deployFacts, deployOutputs, deployRequest };
