/**
 * The jit-broker GitHub Action (action.yml): per-deploy AWS credentials for the job's OIDC token,
 * and the grant ended in the post step, whatever the job's outcome. One file runs both steps:
 * main saves `isPost` first, so the runner hands it back to the post step as STATE_isPost.
 *
 * Built into action/dist/index.cjs (npm run build:action), which is committed: GitHub runs an
 * action from its repository without installing anything.
 */
import { nodeHttpFetch } from '../cli/api/httpTransport.js';
import { ciBroker, deliverToGithub } from '../cli/ci/ciGrant.js';
import { actionInput, annotation, appendCommandFile, githubIdToken } from '../cli/ci/githubRunner.js';
import { UsageError } from '../cli/errors.js';

/** Workflow commands and log lines, on stdout where the runner reads them. */
const say = (line: string) => process.stdout.write(`${line}\n`);

/** What post needs from main, kept in the runner's step state ($GITHUB_STATE → STATE_<name>). */
const STATE = { isPost: 'isPost', api: 'api', audience: 'audience', grantId: 'grantId', expiresAt: 'expiresAt' };

/** The variables main exported, emptied in post as configure-aws-credentials does. */
const EXPORTED = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
];

const saveState = async (env: NodeJS.ProcessEnv, values: Record<string, string>) => {
  if (!env.GITHUB_STATE) throw new Error('GITHUB_STATE is not set: is this running as a GitHub Actions step?');
  await appendCommandFile(env.GITHUB_STATE, Object.entries(values));
};

const required = (env: NodeJS.ProcessEnv, input: string, fallback?: string): string => {
  const value = actionInput(env, input) || (fallback === undefined ? '' : (env[fallback] ?? ''));
  if (value === '') {
    throw new UsageError(`the input '${input}' is required${fallback ? ` (or set ${fallback} in the job's env)` : ''}`);
  }
  return value;
};

const main = async (env: NodeJS.ProcessEnv): Promise<void> => {
  await saveState(env, { [STATE.isPost]: 'true' });
  const api = required(env, 'broker-url', 'JIT_API_URL');
  const audience = required(env, 'audience', 'JIT_CI_AUDIENCE');
  const region = required(env, 'aws-region');
  const template = required(env, 'template');
  const inputs = actionInput(env, 'inputs')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const duration = actionInput(env, 'for');
  await saveState(env, { [STATE.api]: api, [STATE.audience]: audience });
  const broker = ciBroker(nodeHttpFetch, api, env);
  const token = await githubIdToken(nodeHttpFetch, env, audience);
  const vend = await broker.vend(token, { template, inputs, ...(duration ? { for: duration } : {}) });
  // Recorded before anything else can fail, so post ends the grant whatever happens next.
  await saveState(env, { [STATE.grantId]: vend.grantId, [STATE.expiresAt]: vend.expiresAt });
  await deliverToGithub(say, env, vend, region);
  say(`Grant ${vend.grantId} (${vend.role}, ${vend.sessionArn}) until ${vend.expiresAt}.`);
  say('The next steps have AWS credentials for this deploy; the post step ends the grant.');
};

const post = async (env: NodeJS.ProcessEnv): Promise<void> => {
  const grantId = env[`STATE_${STATE.grantId}`];
  try {
    if (!grantId) {
      say('No grant was opened in this job: nothing to end.');
      return;
    }
    const api = env[`STATE_${STATE.api}`] ?? '';
    const token = await githubIdToken(nodeHttpFetch, env, env[`STATE_${STATE.audience}`] ?? '');
    const outcome = await ciBroker(nodeHttpFetch, api, env).done(token, grantId);
    if ('alreadyOver' in outcome) say(annotation('notice', `Nothing to end: ${outcome.alreadyOver}`));
    else say(`Grant ${grantId} is ${outcome.ended.state}: its credentials no longer work.`);
  } catch (error) {
    const until = env[`STATE_${STATE.expiresAt}`];
    throw new Error(
      `could not end grant ${grantId}: ${(error as Error).message}${until ? `. Its expiry ends it at ${until}.` : ''}`
    );
  } finally {
    if (grantId && env.GITHUB_ENV)
      await appendCommandFile(
        env.GITHUB_ENV,
        EXPORTED.map((name) => [name, ''] as const)
      );
  }
};

const step = process.env[`STATE_${STATE.isPost}`] === 'true' ? post : main;
step(process.env).catch((error: unknown) => {
  say(annotation('error', (error as Error).message));
  process.exitCode = 1;
});
