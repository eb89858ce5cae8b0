import { randomUUID } from 'node:crypto';
import { appendFile } from 'node:fs/promises';
import type { HttpFetch } from '../api/httpTransport.js';
import { UsageError } from '../errors.js';

/**
 * The GitHub Actions runner's side of a step, without @actions/core: workflow commands on stdout
 * (`::add-mask::`, `::notice::` …) and the command files ($GITHUB_ENV, $GITHUB_OUTPUT,
 * $GITHUB_STATE) that hand values to later steps, to the step's outputs and to its post step.
 * https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
 */

/** Workflow command data: `%`, CR and LF escaped, so a value can neither end the command nor start another. */
const commandData = (value: string): string => value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');

/** `::add-mask::value`: the runner replaces the value with *** in every later line of the log. */
const maskCommand = (value: string): string => `::add-mask::${commandData(value)}`;

/** `::notice::`, `::warning::` or `::error::` with a message, shown in the job's summary. */
const annotation = (level: 'notice' | 'warning' | 'error', message: string): string =>
  `::${level}::${commandData(message)}`;

/**
 * Appends name/value pairs to a command file in its multi-line form (`name<<delimiter` … `delimiter`),
 * with a delimiter no value contains: a value with a newline cannot smuggle in another variable
 * (NODE_OPTIONS, PATH…).
 */
const appendCommandFile = async (path: string, values: readonly (readonly [string, string])[]): Promise<void> => {
  const delimiter = `ghadelimiter_${randomUUID()}`;
  const entries = values.map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) || value.includes(delimiter)) {
      throw new Error(`refusing to write ${name} to a GitHub command file`);
    }
    return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
  });
  await appendFile(path, entries.join(''), { mode: 0o600 });
};

/** The step's input `name` as the runner passes it (INPUT_<NAME>, spaces as underscores), trimmed. */
const actionInput = (env: NodeJS.ProcessEnv, name: string): string =>
  (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();

/**
 * A fresh OIDC token of this job for `audience`, from the runner's token service (the job needs
 * `permissions: id-token: write`, which sets ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN).
 */
const githubIdToken = async (fetch: HttpFetch, env: NodeJS.ProcessEnv, audience: string): Promise<string> => {
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestUrl || !requestToken) {
    throw new UsageError(
      'no OIDC token for this job: give the job `permissions: id-token: write` (GitHub Actions); on GitLab pass --token-env NAME (an id_tokens variable); elsewhere --token-file PATH'
    );
  }
  const url = new URL(requestUrl);
  url.searchParams.set('audience', audience);
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${requestToken}`, accept: 'application/json' },
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json().catch(() => ({}))) as { value?: unknown };
  if (!response.ok || typeof body.value !== 'string') {
    throw new UsageError(`GitHub did not issue an OIDC token (${response.status}); does the job have id-token: write?`);
  }
  return body.value;
};

export { actionInput, annotation, appendCommandFile, githubIdToken, maskCommand };
