import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { UiFiles } from './server/staticUi.js';

const UI_DIR = dirname(fileURLToPath(import.meta.url));
/** Where `npm run build:ui` writes the console; `jit ui` serves this folder. */
const UI_DIST = join(UI_DIR, 'dist');

/**
 * Bundles the console into three static files, in memory: one minified ES module (Preact and uPlot
 * included: no CDN, works offline), one stylesheet (uPlot's and ours), and index.html.
 */
const bundleUi = async (): Promise<UiFiles> => {
  const result = await build({
    entryPoints: [join(UI_DIR, 'src/main.tsx')],
    outfile: 'app.js',
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'eof',
    logLevel: 'warning',
  });
  const js = result.outputFiles.find((file) => file.path.endsWith('app.js'));
  if (js === undefined) throw new Error('esbuild produced no app.js');
  const uplotCss = readFileSync(join(UI_DIR, '../node_modules/uplot/dist/uPlot.min.css'), 'utf8');
  return {
    'index.html': readFileSync(join(UI_DIR, 'index.html'), 'utf8'),
    'app.js': js.text,
    'app.css': `${uplotCss}\n${readFileSync(join(UI_DIR, 'src/app.css'), 'utf8')}`,
  };
};

const writeUi = async (outDir: string = UI_DIST): Promise<UiFiles> => {
  const files = await bundleUi();
  mkdirSync(outDir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(outDir, name), text);
  return files;
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeUi().then(
    (files) => console.log(`ui/dist: app.js ${Buffer.byteLength(files['app.js'])} bytes`),
    (error: Error) => {
      console.error(error.message);
      process.exit(1);
    }
  );
}

export { bundleUi, UI_DIST, writeUi };
