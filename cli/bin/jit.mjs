#!/usr/bin/env node
// The `jit` command. Runs the TypeScript CLI through tsx's loader; paths are resolved from this
// file, so it works from any working directory and through npm's bin symlinks.
import { register } from 'tsx/esm/api';

// The AWS SDK warns about Node versions on stderr; credential_process output must stay clean.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import(new URL('../main.ts', import.meta.url).href);
await main();
