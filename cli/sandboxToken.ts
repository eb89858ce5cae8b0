import { homedir } from 'node:os';
import { join } from 'node:path';
import { LOOPBACK_TOKEN_HEADER } from './loopbackToken.js';

/**
 * The loopback sandbox wants a per-start random token on every API request, so a web page (DNS
 * rebinding, a cross-site form) or another account on the machine cannot act as its users. The
 * sandbox writes it where this module looks, readable by its owner only; the CLI picks it up by
 * itself, so `jit` is run the same way with or without it. Defined here, on the CLI's side, because
 * the CLI ships without the sandbox and must know the place on its own.
 */
const SANDBOX_TOKEN_HEADER = LOOPBACK_TOKEN_HEADER;
const SANDBOX_TOKEN_ENV = 'JIT_SANDBOX_TOKEN';

/** What the sandbox on `port` writes at start: `{ "url", "token", "pid" }`, mode 0600, one file per port. */
const sandboxTokenFile = (env: NodeJS.ProcessEnv, port: string | number): string =>
  join(
    env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state'),
    'jit',
    'sandbox',
    `${Number(port) || 80}.json`
  );

interface SandboxToken {
  /** Undefined when there is none: requests go without, and the sandbox's refusal says so. */
  readonly value: string | undefined;
  /** Where it was found, or where it was looked for: for the message when the sandbox refuses it. */
  readonly from: string;
}

/** The token in a token file's text; undefined for no file, or one edited into something else. */
const tokenInFile = (text: string | undefined): string | undefined => {
  if (text === undefined) return undefined;
  try {
    const { token } = JSON.parse(text) as { token?: unknown };
    return typeof token === 'string' && token !== '' ? token : undefined;
  } catch {
    return undefined;
  }
};

/** $JIT_SANDBOX_TOKEN, else the token the sandbox on the URL's port wrote. */
const findSandboxToken = (
  apiUrl: URL,
  env: NodeJS.ProcessEnv,
  readFile: (path: string) => string | undefined
): SandboxToken => {
  const fromEnv = env[SANDBOX_TOKEN_ENV]?.trim();
  if (fromEnv) return { value: fromEnv, from: `$${SANDBOX_TOKEN_ENV}` };
  const path = sandboxTokenFile(env, apiUrl.port);
  const value = tokenInFile(readFile(path));
  return { value, from: value === undefined ? `$${SANDBOX_TOKEN_ENV} or ${path}` : path };
};

export type { SandboxToken };
export { findSandboxToken, SANDBOX_TOKEN_ENV, SANDBOX_TOKEN_HEADER, sandboxTokenFile, tokenInFile };
