/**
 * Each Lambda bundle's size (minified, bytes) and cold init time: the bundle is imported in a fresh
 * Node process, as Lambda does on a cold start (module load only, no invocation), several times;
 * the median is reported. Reads the bundles from cdk.out, synthesizing first when there is none.
 *
 *   npm run bench:bundles          (BENCH_RUNS=7 for more runs; CDK_OUT=dir for another cdk.out)
 *
 * Local Node is not Lambda's (CPU, disk, Node version): compare bundles with each other and
 * across commits, not with Lambda's reported Init Duration.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const OUT = resolve(process.env.CDK_OUT ?? 'cdk.out');
const STACK = 'JitBroker';

interface FunctionResource {
  Type: string;
  Properties: { Handler: string };
  Metadata?: Record<string, string>;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const dirSize = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce(
    (sum, entry) => sum + (entry.isDirectory() ? dirSize(join(dir, entry.name)) : statSync(join(dir, entry.name)).size),
    0
  );

/** One cold import in a fresh process; answers milliseconds from before the import to after it. */
const coldInit = (bundleDir: string): number => {
  const script =
    'const t = performance.now(); await import(process.argv[1]); ' +
    "process.stdout.write('\\nINIT ' + (performance.now() - t) + '\\n');";
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, join(bundleDir, 'index.mjs')], {
    cwd: bundleDir,
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      NODE_OPTIONS: '--enable-source-maps',
    },
    encoding: 'utf8',
  });
  const line = out.split('\n').find((l) => l.startsWith('INIT '));
  if (line === undefined) throw new Error(`no timing from ${bundleDir}: ${out}`);
  return Number(line.slice('INIT '.length));
};

const main = (): void => {
  const templatePath = join(OUT, `${STACK}.template.json`);
  if (!existsSync(templatePath)) {
    console.log('no synthesized app in cdk.out: running `npx cdk synth --quiet` first');
    execFileSync('npx', ['cdk', 'synth', '--quiet'], { stdio: 'inherit' });
  }
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources: Record<string, FunctionResource> };
  const functions = Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:asset:path'] !== undefined)
    .map((r) => ({ handler: r.Properties.Handler, dir: join(OUT, r.Metadata?.['aws:asset:path'] as string) }));

  // Functions built from the same bundle share an asset: time each bundle once.
  const timings = new Map<string, number>();
  for (const { dir } of functions) {
    if (timings.has(dir)) continue;
    coldInit(dir); // warm the OS file cache, as Lambda's own is warm for its image
    timings.set(dir, median(Array.from({ length: RUNS }, () => coldInit(dir))));
  }

  console.log(`node ${process.version}, ${RUNS} runs per bundle, median cold init (import only)\n`);
  console.log(
    `${'handler'.padEnd(32)} ${'index.mjs bytes'.padStart(16)} ${'asset bytes'.padStart(12)} ${'init ms'.padStart(8)}`
  );
  for (const { handler, dir } of functions) {
    const bundle = statSync(join(dir, 'index.mjs')).size;
    const asset = dirSize(dir) - statSync(join(dir, 'index.mjs.map')).size;
    console.log(
      `${handler.padEnd(32)} ${String(bundle).padStart(16)} ${String(asset).padStart(12)} ${(timings.get(dir) as number).toFixed(1).padStart(8)}`
    );
  }
  console.log('\nasset bytes: everything deployed except the source map (config/, and iam-data for createGrant)');
};

main();
