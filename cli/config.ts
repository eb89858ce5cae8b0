import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './errors.js';
import { type ShapeOf, shapeProblems } from './jsonShape.js';
import { findSandboxToken, type SandboxToken } from './sandboxToken.js';

/** Where the broker is and how to talk to it, after flags, env and the config file are merged. */
interface CliConfig {
  readonly apiUrl: URL;
  /**
   * `sandbox`: a loopback API that takes the `x-jit-user` header and no signature.
   * `aws`: API Gateway with IAM authorization; requests are SigV4-signed.
   */
  readonly mode: 'sandbox' | 'aws';
  /** The sandbox user (`--as` / JIT_USER); only in sandbox mode. */
  readonly user?: string;
  /** The sandbox's per-start token ($JIT_SANDBOX_TOKEN or the file it wrote); only in sandbox mode. */
  readonly sandboxToken?: SandboxToken;
  /** The SigV4 signing region; only in aws mode. */
  readonly region?: string;
}

interface ConfigSources {
  readonly flags: { api?: string; region?: string; as?: string };
  readonly env: NodeJS.ProcessEnv;
  /** Reads the config file; undefined when it does not exist. Injected so tests need no files. */
  readonly readFile?: (path: string) => string | undefined;
  /** Reads the sandbox's token file (sandboxToken.ts); the same, kept apart so the config file is read only when needed. */
  readonly readTokenFile?: (path: string) => string | undefined;
}

interface ConfigFile {
  readonly api?: string;
  readonly region?: string;
  readonly user?: string;
}
const CONFIG_FILE: ShapeOf<ConfigFile> = { api: 'string?', region: 'string?', user: 'string?' };

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/;

const configFilePath = (env: NodeJS.ProcessEnv): string =>
  join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'jit', 'config.json');

const readIfExists = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

const loadConfigFile = (path: string, read: (path: string) => string | undefined): ConfigFile => {
  const text = read(path);
  if (text === undefined) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  const problems = shapeProblems(raw, CONFIG_FILE);
  if (problems.length > 0) throw new UsageError(`${path}: ${problems.join('; ')}`);
  return raw as ConfigFile;
};

const parseApiUrl = (text: string): URL => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `'${text}' is not a URL; --api wants something like https://abc123.execute-api.eu-west-1.amazonaws.com`
    );
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    throw new UsageError(`the broker API must be https (plain http only for the loopback sandbox), got ${text}`);
  }
  return url;
};

/**
 * Flags win over env (JIT_API_URL, JIT_API_REGION or the older JIT_REGION, JIT_USER), which win over the config file
 * ($XDG_CONFIG_HOME/jit/config.json or ~/.config/jit/config.json). The file is read only for what
 * flags and env leave open: a credential_process line names everything, so a cached answer reads
 * just its cache entry.
 */
const resolveConfig = ({
  flags,
  env,
  readFile = readIfExists,
  readTokenFile = readIfExists,
}: ConfigSources): CliConfig => {
  let loaded: ConfigFile | undefined;
  const file = (): ConfigFile => {
    loaded ??= loadConfigFile(configFilePath(env), readFile);
    return loaded;
  };
  const api = flags.api ?? env.JIT_API_URL ?? file().api;
  if (!api) {
    throw new UsageError(
      `where is the broker? pass --api URL, set JIT_API_URL, or put {"api": "…"} in ${configFilePath(env)} (the sandbox prints its URL at npm start)`
    );
  }
  const apiUrl = parseApiUrl(api);
  if (LOOPBACK_HOSTS.has(apiUrl.hostname)) {
    const user = flags.as ?? env.JIT_USER ?? file().user;
    if (!user) {
      throw new UsageError(
        `the sandbox at ${apiUrl.origin} needs to know who you are: pass --as <user> (e.g. --as alice) or set JIT_USER`
      );
    }
    return { apiUrl, mode: 'sandbox', user, sandboxToken: findSandboxToken(apiUrl, env, readTokenFile) };
  }
  if (flags.as !== undefined) {
    throw new UsageError(
      '--as only works with the loopback sandbox; in AWS your identity comes from your AWS credentials'
    );
  }
  const region =
    flags.region ??
    env.JIT_API_REGION ??
    env.JIT_REGION ??
    file().region ??
    EXECUTE_API_HOST.exec(apiUrl.hostname)?.[1];
  if (!region) {
    throw new UsageError(
      `which region signs requests to ${apiUrl.host}? pass --api-region, set JIT_API_REGION, or add "region" to the config file`
    );
  }
  return { apiUrl, mode: 'aws', region };
};

export type { CliConfig, ConfigSources };
export { configFilePath, LOOPBACK_HOSTS, parseApiUrl, readIfExists, resolveConfig };
