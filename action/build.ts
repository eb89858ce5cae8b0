/**
 * Builds the GitHub Action (action/main.ts) into action/dist/index.cjs, the file action.yml runs.
 * GitHub runs an action straight from its repository, without npm install, so the built file is
 * committed; test/e2e/githubAction.test.ts checks that it is exactly what this build makes from
 * the sources. Not minified, so a reviewer can read what runs with the job's OIDC token.
 *
 *   npm run build:action
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { NODE_BUNDLE, packageOf, ROOT } from '../cli/build.js';

const OUTFILE = join(ROOT, 'action', 'dist', 'index.cjs');

/** CI calls are authenticated by the job's token: the action never signs, so it carries no AWS SDK. */
const noSigning: Plugin = {
  name: 'no-signing-in-the-action',
  setup(plugin) {
    plugin.onResolve({ filter: /\/awsSigning\.js$/ }, () => ({ path: 'aws-signing', namespace: 'no-signing' }));
    plugin.onLoad({ filter: /.*/, namespace: 'no-signing' }, () => ({
      contents: `const unavailable = () => { throw new Error('the GitHub Action does not sign requests'); };
export { unavailable as fromNodeProviderChain, unavailable as signRequest };`,
      loader: 'js',
    }));
  },
};

/** The action as built from the sources now (written to `outfile`, default action/dist/index.cjs). */
const buildAction = async (outfile = OUTFILE): Promise<string> => {
  const result = await build({
    ...NODE_BUNDLE,
    entryPoints: ['action/main.ts'],
    outfile,
    plugins: [noSigning],
    banner: { js: '// Built from action/main.ts by `npm run build:action`: do not edit.' },
  });
  const packages = Object.keys((result.metafile as Metafile).inputs).flatMap((input) => packageOf(input) ?? []);
  if (packages.length > 0)
    throw new Error(`the action would bundle npm packages: ${[...new Set(packages)].join(', ')}`);
  return readFileSync(outfile, 'utf8');
};

export { buildAction, OUTFILE as ACTION_FILE };

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = await buildAction();
  console.log(`built action/dist/index.cjs (${(text.length / 1024).toFixed(0)} KB)`);
}
