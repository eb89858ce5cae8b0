import { main } from './main.js';

// The built CLI's entry point (cli/build.ts bundles from here into one file).
// The AWS SDK warns about Node versions on stderr; credential_process output must stay clean.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
void main();
