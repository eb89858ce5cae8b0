#!/usr/bin/env node
// The `jit` command in a checkout (`npx jit`, the repository's bin). It runs the built CLI,
// cli/package/jit.cjs (`npm run build:cli`; `npm ci` builds it through `prepare`), the same file
// the npm package @jit-broker/cli ships. When that build is missing or older than a source it was
// built from, it runs the TypeScript sources through tsx instead (development only: slower to
// start, never stale). Paths are resolved from this file, so it works from any directory and
// through npm's bin symlinks.
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const built = `${root}cli/package/jit.cjs`;

/** Whether the build exists and is newer than every file it was built from (build-inputs.json). */
const buildIsFresh = () => {
  try {
    const builtAt = statSync(built).mtimeMs;
    const { inputs } = JSON.parse(readFileSync(`${root}cli/package/build-inputs.json`, 'utf8'));
    return inputs.every((input) => statSync(`${root}${input}`).mtimeMs <= builtAt);
  } catch {
    return false;
  }
};

if (buildIsFresh()) {
  createRequire(import.meta.url)(built);
} else {
  // The AWS SDK warns about Node versions on stderr; credential_process output must stay clean.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { register } = await import('tsx/esm/api');
  register();
  const { main } = await import(new URL('../main.ts', import.meta.url).href);
  await main();
}
