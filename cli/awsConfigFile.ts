import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The AWS config file the CLI and SDKs read: AWS_CONFIG_FILE (with `~` expanded, as they do) or ~/.aws/config. */
const awsConfigPath = (env: NodeJS.ProcessEnv): string => {
  const home = env.HOME || homedir();
  const configured = env.AWS_CONFIG_FILE;
  if (!configured) return join(home, '.aws', 'config');
  return configured.startsWith('~/') ? join(home, configured.slice(2)) : configured;
};

/** The AWS config file's text; '' when there is none yet. */
const readAwsConfig = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
};

export { awsConfigPath, readAwsConfig };
