import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { finish } from './finish.js';

interface PackedCli {
  /** The tarball `npm pack` made. */
  readonly tarball: string;
  /** The `jit` npm linked into the prefix's bin, as a user's PATH finds it. */
  readonly bin: string;
  /** Where the package was installed. */
  readonly packageDir: string;
  /** Every file of the installed package, relative to packageDir, with its size. */
  readonly files: Readonly<Record<string, number>>;
  remove(): void;
}

const npm = async (args: readonly string[], cwd: string) => {
  const run = await finish(spawn('npm', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: process.env }));
  if (run.code !== 0) throw new Error(`npm ${args.join(' ')} exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
  return run;
};

const filesUnder = (dir: string, prefix = ''): [string, number][] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry): [string, number][] => {
    const path = join(dir, entry.name);
    const name = `${prefix}${entry.name}`;
    return entry.isDirectory() ? filesUnder(path, `${name}/`) : [[name, statSync(path).size]];
  });

/**
 * The CLI as a user gets it: `npm pack` of cli/package (its prepack builds the CLI), then
 * `npm install -g <tarball>` into a fresh prefix, offline — the package has no dependencies.
 */
const installPackedCli = async (): Promise<PackedCli> => {
  const dir = mkdtempSync(join(tmpdir(), 'jit-packed-cli-'));
  const prefix = join(dir, 'prefix');
  mkdirSync(prefix);
  const npmOptions = ['--no-audit', '--no-fund', '--offline', `--cache=${join(dir, 'npm-cache')}`];
  await npm(['pack', resolve('cli/package'), '--pack-destination', dir, ...npmOptions], resolve('.'));
  const tarball = join(dir, readdirSync(dir).find((name) => name.endsWith('.tgz')) as string);
  await npm(['install', '--global', `--prefix=${prefix}`, tarball, ...npmOptions], dir);
  const packageDir = join(prefix, 'lib', 'node_modules', '@jit-broker', 'cli');
  return {
    tarball,
    bin: join(prefix, 'bin', 'jit'),
    packageDir,
    files: Object.fromEntries(filesUnder(packageDir)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
};

export type { PackedCli };
export { installPackedCli };
