import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where jit keeps what it caches for this user: `$XDG_CACHE_HOME/jit`, by default `~/.cache/jit`. */
const cacheDirectory = (env: NodeJS.ProcessEnv): string =>
  join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'jit');

export { cacheDirectory };
