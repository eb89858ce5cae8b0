import { readFile } from 'node:fs/promises';
import {
  ciBroker,
  type DeployAsTyped,
  deliverToGithub,
  deployEnvironment,
  deployFacts,
  deployRequest,
} from '../ci/ciGrant.js';
import { githubIdToken } from '../ci/githubRunner.js';
import type { CommandSpec, OptionValues } from '../commandLine.js';
import type { CliContext } from '../context.js';
import { endReport } from '../endReport.js';
import { UsageError } from '../errors.js';
import { printJson } from '../output.js';
import { shellQuote } from '../profile/awsConfigBlock.js';

/**
 * The job's OIDC token, fresh for every call (the broker takes each token once): from a file, from
 * a variable (GitLab `id_tokens`), or minted by GitHub Actions for the broker's audience.
 */
const jobToken = async (context: CliContext, values: OptionValues): Promise<string> => {
  const { env } = context;
  if (values['token-file']) return (await readFile(values['token-file'] as string, 'utf8')).trim();
  if (values['token-env']) {
    const name = values['token-env'] as string;
    const token = env[name];
    if (!token) throw new UsageError(`$${name} is empty: declare it under id_tokens in .gitlab-ci.yml (docs/ci.md)`);
    return token.trim();
  }
  const audience = (values.audience as string | undefined) ?? env.JIT_CI_AUDIENCE;
  if (env.ACTIONS_ID_TOKEN_REQUEST_URL && !audience) {
    throw new UsageError(
      "which audience does the broker expect? pass --audience or set JIT_CI_AUDIENCE (ci.json's audience)"
    );
  }
  return githubIdToken(context.fetch, env, audience ?? '');
};

/** The broker's CI routes: only its URL matters here, the token is the identity. */
const brokerOf = (context: CliContext, values: OptionValues) => {
  const api = (values.api as string | undefined) ?? context.env.JIT_API_URL;
  if (!api) throw new UsageError('where is the broker? pass --api URL or set JIT_API_URL');
  return ciBroker(context.fetch, api, context.env);
};

const credentials = async (context: CliContext, values: OptionValues): Promise<number> => {
  if (!values.template) throw new UsageError('jit ci credentials needs --template (a template id from ci.json)');
  const broker = brokerOf(context, values);
  const typed: DeployAsTyped = {
    template: values.template as string,
    ...(values.role ? { role: values.role as string } : {}),
    inputs: (values.input as string[] | undefined) ?? [],
    ...(values.for ? { for: values.for as string } : {}),
  };
  deployRequest(typed); // a bad --input or --for fails before a token is minted
  const vend = await broker.vend(await jobToken(context, values), typed);
  const region = values.region as string | undefined;
  const { env, io } = context;
  const onGithub = env.GITHUB_ACTIONS === 'true' || env.GITHUB_ENV !== undefined;
  // The masks go to stderr: the runner reads workflow commands there as on stdout (actions/runner,
  // ScriptHandler.cs), and stdout may be piped (--json | jq), where a mask would never reach it.
  if (onGithub) await deliverToGithub(io.err, env, vend, region);
  if (values.json) {
    printJson(io, values['with-secrets'] ? { ...deployFacts(vend), credentials: vend.credentials } : deployFacts(vend));
  } else if (onGithub) {
    io.err(
      `Grant ${vend.grantId} (${vend.role}, ${vend.sessionArn}) until ${vend.expiresAt}: the credentials are in the environment of the next steps`
    );
  } else {
    io.out(
      deployEnvironment(vend, region)
        .map(([k, v]) => `export ${k}=${shellQuote(v)}`)
        .join('\n')
    );
  }
  return 0;
};

const done = async (context: CliContext, values: OptionValues): Promise<number> => {
  const grantId = (values.grant as string | undefined) ?? context.env.JIT_GRANT_ID;
  if (!grantId) throw new UsageError('which grant? pass --grant or run after `jit ci credentials` (JIT_GRANT_ID)');
  const outcome = await brokerOf(context, values).done(await jobToken(context, values), grantId);
  if ('alreadyOver' in outcome) {
    if (values.json) printJson(context.io, { grantId, alreadyOver: true, message: outcome.alreadyOver });
    else context.io.err(`note: nothing to end: ${outcome.alreadyOver}`);
    return 0;
  }
  if (values.json) printJson(context.io, outcome.ended);
  else context.io.err(endReport(outcome.ended));
  return 0;
};

const ci: CommandSpec<CliContext> = {
  name: 'ci',
  summary: "In a CI job: per-deploy credentials for the job's OIDC token, and `done` when the job ends",
  usage: 'credentials --template ID [--input NAME=VALUE]… [--for DURATION] [--region R] | done [--grant ID]',
  description: [
    'credentials: the broker verifies the job token, asks its ciDeploy policies, and vends credentials narrowed to',
    'the template. On GitHub Actions all three credential values are masked and go to $GITHUB_ENV with',
    'AWS_CREDENTIAL_EXPIRATION, AWS_REGION/AWS_DEFAULT_REGION (--region) and JIT_GRANT_ID; the step outputs',
    'grant-id, aws-account-id, authenticated-arn and aws-expiration. Elsewhere they are printed as export lines',
    'for eval "$(…)". --json prints what was granted without the secrets (--with-secrets adds them).',
    'done: ends the grant (JIT_GRANT_ID unless --grant) with a fresh token of the same job; a grant that has',
    'already ended (a second done, expired, revoked) is a note and exit 0.',
    'Denials print the policy and the claim that failed, and exit 2. See docs/ci.md.',
  ].join('\n'),
  options: {
    template: { type: 'string' },
    role: { type: 'string' },
    input: { type: 'string', multiple: true },
    for: { type: 'string' },
    audience: { type: 'string' },
    'token-env': { type: 'string' },
    'token-file': { type: 'string' },
    grant: { type: 'string' },
    'with-secrets': { type: 'boolean' },
  },
  optionHelp: [
    ['--template ID', 'the deploy template in the broker’s ci.json (credentials)'],
    ['--role ROLE', 'optional check: the template’s role'],
    ['--input NAME=VALUE', 'a template input, e.g. --input service=orders (repeatable)'],
    ['--for DURATION', 'how long: 15m to the template’s maxDuration (default: that); more is an error'],
    ['--region REGION', 'the AWS Region of the deploy: exported as AWS_REGION and AWS_DEFAULT_REGION'],
    ['--audience AUD', 'GitHub: the audience to mint the token for (env JIT_CI_AUDIENCE)'],
    ['--token-env NAME', 'GitLab: the id_tokens variable holding the token'],
    ['--token-file PATH', 'read the token from a file'],
    ['--grant ID', 'done: the grant to end (default: $JIT_GRANT_ID)'],
    ['--with-secrets', 'with --json: include the credentials themselves (they go to stdout)'],
  ],
  examples: [
    'jit ci credentials --template service-deploy-staging --input service=orders --for 30m --region eu-central-1',
    'jit ci done',
    'eval "$(jit ci credentials --template service-deploy-staging --input service=orders --token-env JIT_TOKEN)"',
    'jit ci done --token-env JIT_DONE_TOKEN',
  ],
  positionals: ['action'],
  json: true,
  async run(context, { values, positionals }) {
    const action = positionals[0];
    if (action === 'credentials') return credentials(context, values);
    if (action === 'done') return done(context, values);
    throw new UsageError(`jit ci takes 'credentials' or 'done', got '${action}' (see jit ci --help)`);
  },
};

export { ci };
