/**
 * Builds the `jit` CLI into prebuilt JavaScript in cli/package/: what the npm package
 * @jit-broker/cli ships, and what cli/bin/jit.mjs runs in a checkout. No TypeScript is compiled
 * when jit runs. Three files:
 *
 * - jit.cjs, the command itself: a few lines that switch on Node's compile cache (Node ≥ 22.1,
 *   cli/compileCache.ts) and then load jit-main.cjs — the cache only serves code loaded after it
 *   is on.
 * - jit-main.cjs, the CLI. CommonJS, so a module reached only through a dynamic import (each
 *   command, node:http) is evaluated only when a run needs it.
 * - aws-signing.cjs, the AWS SDK's SigV4 signer and credential chain (cli/api/awsSigning.ts),
 *   required by jit-main.cjs only to sign a request to a deployed broker. It is six times the size of
 *   the CLI itself, and V8 parses a whole file before it runs any of it: in one file, every run
 *   (every cached credential_process answer) would pay that parse (docs/cli.md, "Start-up").
 *
 *   npm run build:cli        (npm ci runs it through `prepare`; npm pack through `prepack`)
 */
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE_DIR = join(ROOT, 'cli', 'package');
const OUTFILE = join(PACKAGE_DIR, 'jit.cjs');
const MAIN_FILE = 'jit-main.cjs';
const SIGNING_FILE = 'aws-signing.cjs';
/** What the bundle was built from, so cli/bin/jit.mjs can tell a stale build (not shipped). */
const INPUTS_FILE = join(PACKAGE_DIR, 'build-inputs.json');
/** The licences of the bundled packages, shipped beside the bundle. */
const LICENSES_FILE = join(PACKAGE_DIR, 'THIRD-PARTY-LICENSES.txt');

/**
 * Server-side code that must never end up in the CLI: the broker's own AWS clients, its Lambda
 * tooling and policy engine. The CLI talks to the broker's API, never to DynamoDB or IAM.
 */
const SERVER_SIDE: readonly RegExp[] = [
  /^@aws-sdk\/client-/,
  /^@aws-sdk\/lib-dynamodb$/,
  /^@aws-sdk\/util-dynamodb$/,
  /^@aws-lambda-powertools\//,
  /^@middy\//,
  /^@cedar-policy\//,
  /^@cloud-copilot\//,
  /^jose$/,
  /^aws-cdk/,
];

/** `node_modules/@scope/name/dist/x.js` → `@scope/name` (the innermost node_modules wins). */
const packageOf = (input: string): string | undefined => {
  const at = input.lastIndexOf('node_modules/');
  if (at === -1) return undefined;
  const [first, second] = input.slice(at + 'node_modules/'.length).split('/');
  return first?.startsWith('@') ? `${first}/${second}` : first;
};

const packageDirOf = (input: string, name: string): string =>
  join(ROOT, input.slice(0, input.lastIndexOf('node_modules/') + 'node_modules/'.length + name.length));

const licenseText = (dir: string): string => {
  for (const name of ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license', 'LICENCE']) {
    try {
      return readFileSync(join(dir, name), 'utf8').trim();
    } catch {
      // try the next spelling
    }
  }
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { license?: string };
  return `License: ${manifest.license ?? 'see the package'}`;
};

/** The bundled packages with their versions, grouped under each distinct licence text. */
const thirdPartyLicenses = (inputs: readonly string[]): string => {
  const dirs = new Map<string, string>();
  for (const input of inputs) {
    const name = packageOf(input);
    if (name !== undefined && !dirs.has(name)) dirs.set(name, packageDirOf(input, name));
  }
  const byText = new Map<string, string[]>();
  for (const [name, dir] of [...dirs].sort(([a], [b]) => a.localeCompare(b))) {
    const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
    const text = licenseText(dir);
    byText.set(text, [...(byText.get(text) ?? []), `${name}@${version}`]);
  }
  return [...byText].map(([text, names]) => `${names.join('\n')}\n\n${text}\n`).join(`\n${'-'.repeat(72)}\n\n`);
};

/** A module that is a file of its own beside the one being built, not a bundled copy. */
const besideIt = (name: string, filter: RegExp, file: string): Plugin => ({
  name,
  setup(plugin) {
    plugin.onResolve({ filter }, () => ({ path: `./${file}`, external: true }));
  },
});
/** In jit-main.cjs, the signing module is the file beside it. */
const signingBesideTheCli = besideIt('aws-signing-beside-the-cli', /\/awsSigning\.js$/, SIGNING_FILE);
/** In jit.cjs, the CLI is the file beside it. */
const cliBesideTheCommand = besideIt('cli-beside-the-command', /^\.\/jit-main\.cjs$/, MAIN_FILE);

/** One CommonJS file for Node 20 from this repository's TypeScript (the CLI's files, the GitHub Action). */
const NODE_BUNDLE: BuildOptions = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // import() becomes require(): no ES module loader for node:http or the signing file.
  supported: { 'dynamic-import': false },
  metafile: true,
  logLevel: 'warning',
};

const COMMON: BuildOptions = {
  ...NODE_BUNDLE,
  // The SDK's ES module builds shake better than its CommonJS ones.
  mainFields: ['module', 'main'],
  minify: true,
  legalComments: 'none',
};

interface CliBuild {
  /** The files built, relative to the repository, with their sizes in bytes. */
  readonly files: Readonly<Record<string, number>>;
  /** The npm packages bundled into the CLI. */
  readonly packages: readonly string[];
}

/**
 * Bundles the CLI; fails if a server-side package would be bundled into it. Each file is written
 * beside its place and renamed into it, so a concurrent `jit` run sees the old build or the new
 * one, never half (in dependency order: a new jit.cjs may need the new jit-main.cjs, and that the
 * new signing file).
 */
const buildCli = async (): Promise<CliBuild> => {
  const targets = [
    { entry: 'cli/api/awsSigning.ts', outfile: join(PACKAGE_DIR, SIGNING_FILE), options: {} },
    { entry: 'cli/run.ts', outfile: join(PACKAGE_DIR, MAIN_FILE), options: { plugins: [signingBesideTheCli] } },
    {
      entry: 'cli/start.ts',
      outfile: OUTFILE,
      options: { banner: { js: '#!/usr/bin/env node' }, plugins: [cliBesideTheCommand] },
    },
  ];
  const inputs: string[] = [];
  for (const { entry, outfile, options } of targets) {
    const temporary = `${outfile}.${process.pid}.tmp`;
    const result = await build({ ...COMMON, ...options, entryPoints: [entry], outfile: temporary });
    inputs.push(...Object.keys((result.metafile as Metafile).inputs));
  }
  const packages = [...new Set(inputs.flatMap((input) => packageOf(input) ?? []))].sort();
  const serverSide = packages.filter((name) => SERVER_SIDE.some((pattern) => pattern.test(name)));
  if (serverSide.length > 0) {
    throw new Error(`the CLI bundle would contain server-side packages: ${serverSide.join(', ')}`);
  }
  writeFileSync(LICENSES_FILE, thirdPartyLicenses(inputs));
  for (const { outfile } of targets) renameSync(`${outfile}.${process.pid}.tmp`, outfile);
  const sources = [...new Set(inputs.filter((input) => packageOf(input) === undefined))];
  writeFileSync(INPUTS_FILE, JSON.stringify({ inputs: [...sources, 'package-lock.json'] }));
  const files = Object.fromEntries(
    targets.map(({ outfile }) => [relative(ROOT, outfile), statSync(outfile).size] as const)
  );
  return { files, packages };
};

export type { CliBuild };
export { buildCli, NODE_BUNDLE, packageOf, ROOT, SERVER_SIDE };

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = await buildCli();
  const files = Object.entries(built.files).map(([file, bytes]) => `${file} ${(bytes / 1024).toFixed(0)} KB`);
  console.log(`built ${files.join(', ')} (${built.packages.length} packages bundled)`);
}
