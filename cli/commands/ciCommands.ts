import { appendFile, readFile } from 'node:fs/promises';
import { parseDuration } from '../../functions/domain/duration.js';
import type { GrantView, VendedCredentials } from '../api/brokerApi.js';
import { createBrokerClient } from '../api/brokerClient.js';
import type { CommandSpec, OptionValues } from '../commandLine.js';
import { LOOPBACK_HOSTS, parseApiUrl, readIfExists } from '../config.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { printJson } from '../output.js';
import { shellQuote } from '../profile/awsConfigBlock.js';
import { findSandboxToken } from '../sandboxToken.js';

interface CiVend {
  readonly grantId: string;
  readonly role: string;
  readonly expiresAt: string;
  readonly credentials: VendedCredentials;
}

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
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestUrl || !requestToken) {
    throw new UsageError(
      'no CI token: on GitHub Actions give the job `permissions: id-token: write`; on GitLab pass --token-env NAME (an id_tokens variable); elsewhere --token-file PATH'
    );
  }
  const audience = (values.audience as string | undefined) ?? env.JIT_CI_AUDIENCE;
  if (!audience)
    throw new UsageError(
      "which audience does the broker expect? pass --audience or set JIT_CI_AUDIENCE (ci.json's audience)"
    );
  const response = await context.fetch(`${requestUrl}&audience=${encodeURIComponent(audience)}`, {
    headers: { authorization: `Bearer ${requestToken}`, accept: 'application/json' },
  });
  const body = (await response.json().catch(() => ({}))) as { value?: unknown };
  if (!response.ok || typeof body.value !== 'string') {
    throw new UsageError(`GitHub did not issue an OIDC token (${response.status}); does the job have id-token: write?`);
  }
  return body.value;
};

/** The broker's API: only its URL matters here, the token is the identity. */
const brokerCall = (context: CliContext, values: OptionValues) => {
  const api = (values.api as string | undefined) ?? context.env.JIT_API_URL;
  if (!api) throw new UsageError('where is the broker? pass --api URL or set JIT_API_URL');
  const apiUrl = parseApiUrl(api);
  return createBrokerClient(
    LOOPBACK_HOSTS.has(apiUrl.hostname)
      ? { apiUrl, mode: 'sandbox', sandboxToken: findSandboxToken(apiUrl, context.env, readIfExists) }
      : { apiUrl, mode: 'aws' },
    {
      fetch: context.fetch,
      credentials: () => Promise.reject(new Error('CI calls are authenticated by the job token, not signed')),
    }
  );
};

const inputsOf = (values: OptionValues): Record<string, string> => {
  const pairs = (values.input as string[] | undefined) ?? [];
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new UsageError(`--input wants name=value, got '${pair}'`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    })
  );
};

/**
 * On GitHub Actions the credentials go to $GITHUB_ENV for the following steps, and the secrets are
 * masked in the log first; elsewhere they are printed as `export` lines for eval.
 */
const deliver = async (context: CliContext, vend: CiVend): Promise<void> => {
  const c = vend.credentials;
  const variables: [string, string][] = [
    ['AWS_ACCESS_KEY_ID', c.AccessKeyId],
    ['AWS_SECRET_ACCESS_KEY', c.SecretAccessKey],
    ['AWS_SESSION_TOKEN', c.SessionToken],
    ['JIT_GRANT_ID', vend.grantId],
  ];
  const githubEnv = context.env.GITHUB_ENV;
  if (githubEnv) {
    context.io.out(`::add-mask::${c.SecretAccessKey}\n::add-mask::${c.SessionToken}`);
    await appendFile(githubEnv, `${variables.map(([k, v]) => `${k}=${v}`).join('\n')}\n`, { mode: 0o600 });
    context.io.err(
      `Grant ${vend.grantId} (${vend.role}) until ${vend.expiresAt}: credentials are in the environment of the next steps`
    );
    return;
  }
  context.io.out(variables.map(([k, v]) => `export ${k}=${shellQuote(v)}`).join('\n'));
};

const ci: CommandSpec<CliContext> = {
  name: 'ci',
  summary: "In a CI job: per-deploy credentials for the job's OIDC token, and `done` when the job ends",
  usage: 'credentials --template ID [--input NAME=VALUE]… [--for DURATION] | done [--grant ID]',
  description: [
    'credentials: the broker verifies the job token, asks its ciDeploy policies, and vends credentials narrowed to',
    'the template. On GitHub Actions they go to $GITHUB_ENV (secrets masked) with JIT_GRANT_ID; elsewhere they are',
    'printed as export lines. done: ends the grant (JIT_GRANT_ID unless --grant), with a fresh token of the same job.',
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
  },
  optionHelp: [
    ['--template ID', 'the deploy template in the broker’s ci.json (credentials)'],
    ['--role ROLE', 'optional check: the template’s role'],
    ['--input NAME=VALUE', 'a template input, e.g. --input service=orders (repeatable)'],
    ['--for DURATION', 'how long, at most the template’s maxDuration (default: that)'],
    ['--audience AUD', 'GitHub: the audience to mint the token for (env JIT_CI_AUDIENCE)'],
    ['--token-env NAME', 'GitLab: the id_tokens variable holding the token'],
    ['--token-file PATH', 'read the token from a file'],
    ['--grant ID', 'done: the grant to end (default: $JIT_GRANT_ID)'],
  ],
  examples: [
    'jit ci credentials --template service-deploy-staging --input service=orders --for 30m --audience jit-broker.example-org',
    'jit ci done --audience jit-broker.example-org',
    'eval "$(jit ci credentials --template service-deploy-staging --input service=orders --token-env JIT_TOKEN)"',
    'jit ci done --token-env JIT_DONE_TOKEN',
  ],
  positionals: ['action'],
  json: true,
  async run(context, { values, positionals }) {
    const action = positionals[0];
    const call = brokerCall(context, values);
    if (action === 'credentials') {
      if (!values.template) throw new UsageError('jit ci credentials needs --template (a template id from ci.json)');
      const body = {
        template: values.template as string,
        ...(values.role ? { role: values.role as string } : {}),
        inputs: inputsOf(values),
        ...(values.for ? { durationSeconds: parseDuration(values.for as string) } : {}),
      };
      const vend = await call<CiVend>('POST', '/ci/credentials', { body, bearer: await jobToken(context, values) });
      if (values.json) printJson(context.io, vend);
      else await deliver(context, vend);
      return 0;
    }
    if (action === 'done') {
      const grantId = (values.grant as string | undefined) ?? context.env.JIT_GRANT_ID;
      if (!grantId) throw new UsageError('which grant? pass --grant or run after `jit ci credentials` (JIT_GRANT_ID)');
      const grant = await call<GrantView>('POST', `/ci/grants/${encodeURIComponent(grantId)}/done`, {
        bearer: await jobToken(context, values),
      });
      if (values.json) printJson(context.io, grant);
      else context.io.err(`${grant.id} is ${grant.state}: its credentials no longer work`);
      return 0;
    }
    throw new UsageError(`jit ci takes 'credentials' or 'done', got '${action}' (see jit ci --help)`);
  },
};

export { ci };
