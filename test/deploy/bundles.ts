import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DeployedFunction } from './deployedFunctions.js';

/** What loading one bundle showed: its exports, or why it did not load. */
interface LoadedBundle {
  readonly file: string;
  readonly exports?: Readonly<Record<string, string>>;
  readonly error?: string;
}

/**
 * Lambda's Node.js runtime reads `Handler: <file>.<export>`, loads `<file>.mjs` (or .js, .cjs) from
 * the function's code and calls the export. Only the AWS SDK comes from the runtime: it is made
 * resolvable next to the bundles (as /var/runtime/node_modules is in Lambda), nothing else.
 */
const provideRuntimeSdk = (outdir: string): void => {
  const modules = join(outdir, 'node_modules');
  if (existsSync(join(modules, '@aws-sdk'))) return;
  mkdirSync(modules, { recursive: true });
  symlinkSync(resolve('node_modules/@aws-sdk'), join(modules, '@aws-sdk'));
};

const HANDLER_FILES = ['.mjs', '.js', '.cjs'];

/** Loads each bundle once, in one separate Node.js process (as Lambda would, without the test's loader). */
const loadBundles = (files: readonly string[]): Map<string, LoadedBundle> => {
  const probe = `
    const loaded = [];
    for (const file of JSON.parse(process.argv[1])) {
      try {
        const module = await import(file);
        loaded.push({ file, exports: Object.fromEntries(Object.entries(module).map(([k, v]) => [k, typeof v])) });
      } catch (error) {
        loaded.push({ file, error: String(error && error.message || error) });
      }
    }
    process.stdout.write('\\nLOADED ' + JSON.stringify(loaded) + '\\n');
  `;
  const out = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', probe, JSON.stringify(files.map((f) => pathToFileURL(f).href))],
    {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
      maxBuffer: 16 * 1024 * 1024,
    }
  );
  const line = out.split('\n').find((l) => l.startsWith('LOADED ')) ?? 'LOADED []';
  const loaded = JSON.parse(line.slice('LOADED '.length)) as LoadedBundle[];
  return new Map(loaded.map((b, i) => [files[i] as string, b]));
};

/** Each function whose Handler does not name an exported function of the bundle that ships with it. */
const missingHandlers = (functions: readonly DeployedFunction[]): string[] => {
  const located = functions.map((fn) => {
    const dot = fn.handler.indexOf('.');
    const base = join(fn.assetDir, fn.handler.slice(0, dot));
    const file = HANDLER_FILES.map((ext) => `${base}${ext}`).find((f) => existsSync(f));
    return { fn, file, exported: fn.handler.slice(dot + 1) };
  });
  const bundles = loadBundles(located.flatMap((l) => (l.file === undefined ? [] : [l.file])));
  return located.flatMap(({ fn, file, exported }) => {
    if (file === undefined) {
      return [`${fn.name}: Handler ${fn.handler} names a file its bundle (${fn.assetDir}) does not have`];
    }
    const bundle = bundles.get(file);
    if (bundle?.error !== undefined) return [`${fn.name}: its bundle ${file} does not load: ${bundle.error}`];
    const kind = bundle?.exports?.[exported];
    if (kind === 'function') return [];
    return [
      `${fn.name}: Handler ${fn.handler} but its bundle ${file} ` +
        (kind === undefined ? `exports no ${exported}` : `exports ${exported} as a ${kind}, not a function`) +
        ': Lambda answers HandlerNotFound',
    ];
  });
};

export { loadBundles, missingHandlers, provideRuntimeSdk };
