import { devNull } from 'node:os';
import type { VendedCredentials } from '../api/brokerApi.js';

/**
 * Variables through which the AWS SDKs and CLI would find credentials *before* the container
 * endpoint. Removed from the child so the grant's credentials are the ones it uses.
 */
const COMPETING_CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
];

/** Keys in a config-file profile that make it a credential source of its own. */
const CREDENTIAL_KEY =
  /^(aws_access_key_id|credential_process|credential_source|role_arn|sso_\w+|web_identity_token_file)$/;

/** The settings of `[default]` in an AWS config file, as key → value (a small INI reader). */
const defaultProfile = (configText: string): Map<string, string> => {
  const settings = new Map<string, string>();
  let inDefault = false;
  for (const line of configText.split('\n')) {
    const section = /^\s*\[([^\]]+)\]/.exec(line);
    if (section) {
      inDefault = section[1]?.trim() === 'default' || section[1]?.trim() === 'profile default';
      continue;
    }
    const setting = /^\s*([\w-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (inDefault && setting) settings.set(setting[1] as string, setting[2] as string);
  }
  return settings;
};

const baseEnvironment = (parent: NodeJS.ProcessEnv, grantId: string): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...parent, JIT_GRANT_ID: grantId };
  for (const name of COMPETING_CREDENTIAL_VARIABLES) delete env[name];
  return env;
};

/**
 * The child's environment for the refreshing mode: the SDKs and the AWS CLI fetch credentials
 * from `AWS_CONTAINER_CREDENTIALS_FULL_URI` (a loopback server jit runs), presenting
 * `AWS_CONTAINER_AUTHORIZATION_TOKEN`, and fetch again before they expire. Shared credential
 * files come earlier in every SDK's chain, so they are hidden; when the config file's `[default]`
 * profile has credentials of its own the config file is hidden too (keeping its region).
 */
const refreshingEnvironment = (
  parent: NodeJS.ProcessEnv,
  grantId: string,
  server: { url: string; token: string },
  configText: string | undefined
): { env: NodeJS.ProcessEnv; note?: string } => {
  const env = baseEnvironment(parent, grantId);
  env.AWS_CONTAINER_CREDENTIALS_FULL_URI = server.url;
  env.AWS_CONTAINER_AUTHORIZATION_TOKEN = server.token;
  env.AWS_SHARED_CREDENTIALS_FILE = devNull;
  const settings = defaultProfile(configText ?? '');
  if (![...settings.keys()].some((key) => CREDENTIAL_KEY.test(key))) return { env };
  env.AWS_CONFIG_FILE = devNull;
  const region = settings.get('region');
  if (region !== undefined && env.AWS_REGION === undefined && env.AWS_DEFAULT_REGION === undefined) {
    env.AWS_REGION = region;
    env.AWS_DEFAULT_REGION = region;
  }
  return {
    env,
    note: "your AWS config's [default] profile has its own credentials; the command runs without the config file so it uses the grant's",
  };
};

/** The fallback for tools that only read variables: fixed credentials, not refreshed. */
const staticEnvironment = (
  parent: NodeJS.ProcessEnv,
  grantId: string,
  credentials: VendedCredentials
): NodeJS.ProcessEnv => ({
  ...baseEnvironment(parent, grantId),
  AWS_ACCESS_KEY_ID: credentials.AccessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.SecretAccessKey,
  AWS_SESSION_TOKEN: credentials.SessionToken,
  AWS_CREDENTIAL_EXPIRATION: credentials.Expiration,
});

export { defaultProfile, refreshingEnvironment, staticEnvironment };
