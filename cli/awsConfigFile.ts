import { homedir } from 'node:os';
import { join } from 'node:path';

/** The AWS config file the CLI and SDKs read: AWS_CONFIG_FILE (with `~` expanded, as they do) or ~/.aws/config. */
const awsConfigPath = (env: NodeJS.ProcessEnv): string => {
  const home = env.HOME || homedir();
  const configured = env.AWS_CONFIG_FILE;
  if (!configured) return join(home, '.aws', 'config');
  return configured.startsWith('~/') ? join(home, configured.slice(2)) : configured;
};

export { awsConfigPath };
