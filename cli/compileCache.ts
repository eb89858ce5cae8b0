import { mkdirSync, statSync } from 'node:fs';
import nodeModule from 'node:module';
import { join } from 'node:path';
import { cacheDirectory } from './cacheDirectory.js';

type Enable = (directory: string) => unknown;

/**
 * Lets Node keep V8's compiled code of the CLI between runs (Node ≥ 22.1: module.enableCompileCache),
 * so a run — every cached credential_process answer — skips compiling what the last one compiled.
 * Code is loaded from that directory, so it must be this user's alone: made 0700 in jit's cache
 * directory, and not used when it belongs to someone else or others may write to it. Without it
 * (Node 20, a read-only home, NODE_DISABLE_COMPILE_CACHE) jit starts as it always did. Answers
 * the directory used, or undefined.
 */
const enableCompileCache = (
  env: NodeJS.ProcessEnv,
  enable: Enable | undefined = (nodeModule as { enableCompileCache?: Enable }).enableCompileCache
): string | undefined => {
  if (enable === undefined) return undefined;
  try {
    const directory = join(cacheDirectory(env), 'compile-cache');
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const { uid, mode } = statSync(directory);
    if (uid !== process.getuid?.() || (mode & 0o077) !== 0) return undefined;
    enable(directory);
    return directory;
  } catch {
    return undefined;
  }
};

export { enableCompileCache };
