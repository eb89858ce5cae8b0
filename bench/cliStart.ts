/**
 * What starting `jit` costs, measured in one run against `node -e 0` on the same machine (issue
 * 15's target: a cached credential_process answer ≤ 1.5× `node -e 0`), and what the installed
 * package weighs (target ≤ 10 MB, no server-side SDKs). The CLI is packed and installed as users
 * get it (test/helpers/packedCli.ts); the series alternate round by round so machine noise hits
 * them alike. Wall time is what a user waits; on a machine busy with other work it swings by tens
 * of milliseconds, so the CPU time the processes used (on Linux, from this process's children's
 * times in /proc/self/stat) is printed beside it. Run by `npm run bench:cli` after the re-check
 * figures (bench/cliRecheck.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SERVER_SIDE } from '../cli/build.js';
import { installPackedCli } from '../test/helpers/packedCli.js';
import { inRotation } from './rotation.js';
import { summary } from './stats.js';

const START_ROUNDS = Number(process.env.BENCH_START_ROUNDS ?? 20);
const START_TARGET = 1.5;
const SIZE_TARGET_BYTES = 10 * 1024 * 1024;

/** User + system CPU of the children this process has waited for, in ms (Linux); undefined elsewhere. */
const childrenCpuMs = (): number | undefined => {
  if (!existsSync('/proc/self/stat')) return undefined;
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // The fields after the command name's closing parenthesis; cutime and cstime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticksPerSecond = 100; // USER_HZ on Linux
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / ticksPerSecond;
};

interface Run {
  readonly wallMs: number;
  readonly cpuMs?: number;
}

/** One process, from spawn to exit: its wall time and the CPU it used; fails on a non-zero exit. */
const timed = (command: string, args: readonly string[], env: NodeJS.ProcessEnv) =>
  new Promise<Run>((done, fail) => {
    const cpuBefore = childrenCpuMs();
    const started = performance.now();
    const child = spawn(command, args, { stdio: 'ignore', env });
    child.once('exit', (code) => {
      const wallMs = performance.now() - started;
      const cpuAfter = childrenCpuMs();
      if (code !== 0) return fail(new Error(`${command} ${args.join(' ')} exited ${code}`));
      done(cpuBefore === undefined || cpuAfter === undefined ? { wallMs } : { wallMs, cpuMs: cpuAfter - cpuBefore });
    });
  });

/**
 * Per series, the wall time's median and p95 and the mean CPU time (the kernel counts it in 10 ms
 * ticks, so only a mean over many runs says anything), the series alternating (their order
 * rotating) each round.
 */
const alternateProcesses = async (series: Record<string, () => Promise<Run>>, rounds: number) => {
  // Two warm-up rounds, dropped.
  const samples = await inRotation(series, rounds, 2);
  return Object.fromEntries(
    Object.entries(samples).map(([name, runs]) => {
      const cpu = runs.flatMap((run) => (run.cpuMs === undefined ? [] : [run.cpuMs]));
      const cpuMean = cpu.length === runs.length ? cpu.reduce((a, b) => a + b, 0) / cpu.length : undefined;
      return [name, { ...summary(runs.map((run) => run.wallMs)), cpuMean }];
    })
  );
};

interface StartContext {
  /** The sandbox's API. */
  readonly api: string;
  /** A grant alice holds, with a cached session under `env`'s XDG_CACHE_HOME. */
  readonly grantId: string;
  /** alice's environment for jit (HOME, caches, JIT_API_URL, JIT_USER). */
  readonly env: NodeJS.ProcessEnv;
}

const measureStart = async ({ api, grantId, env }: StartContext): Promise<void> => {
  const packed = await installPackedCli();
  try {
    const installedBytes = Object.values(packed.files).reduce((sum, bytes) => sum + bytes, 0);
    const bundled = readFileSync(join(packed.packageDir, 'THIRD-PARTY-LICENSES.txt'), 'utf8')
      .split('\n')
      .flatMap((line) => /^((?:@[\w.-]+\/)?[\w.-]+)@\d/.exec(line)?.[1] ?? []);
    const serverSide = bundled.filter((name) => SERVER_SIDE.some((pattern) => pattern.test(name)));

    const cachedEnv = { ...env, JIT_RECHECK_SECONDS: '30' };
    const creds = ['creds', grantId, '--format', 'process'];
    // What `jit setup-profile prod-read` writes: the role's live grant, chosen by jit.
    const roleCreds = ['creds', '--role', 'prod-read', '--format', 'process'];
    const node = process.execPath;
    await timed(packed.bin, creds, cachedEnv); // the cache entry, seen live now
    await timed(packed.bin, roleCreds, cachedEnv); // the role's choice, made now
    const fetchExit = `fetch(${JSON.stringify(`${api}/health`)}).then((r) => r.text())`;
    const httpExit = `require('node:http').get(${JSON.stringify(`${api}/health`)}, (r) => r.resume())`;
    const figures = await alternateProcesses(
      {
        'node -e 0': () => timed(node, ['-e', '0'], env),
        'jit --help': () => timed(packed.bin, ['--help'], env),
        'jit --version': () => timed(packed.bin, ['--version'], env),
        'cached credential_process': () => timed(packed.bin, creds, cachedEnv),
        'the same, a role profile (creds --role)': () => timed(packed.bin, roleCreds, cachedEnv),
        'the same, from a checkout (cli/bin/jit.mjs)': () =>
          timed(node, [resolve('cli/bin/jit.mjs'), ...creds], cachedEnv),
        'the same, TypeScript through tsx (before)': () =>
          timed(node, ['--import', 'tsx', resolve('cli/run.ts'), ...creds], cachedEnv),
        'one GET with fetch, to exit': () => timed(node, ['-e', fetchExit], env),
        'one GET with node:http, to exit': () => timed(node, ['-e', httpExit], env),
      },
      START_ROUNDS
    );
    const floor = figures['node -e 0']!;
    const x = (value: number | undefined, of: number | undefined) =>
      value === undefined || of === undefined ? '' : `${(value / of).toFixed(2)}x`;
    console.log(`\nstarting jit, whole processes against node -e 0 (${START_ROUNDS} rounds)`);
    console.log(`  ${''.padEnd(44)} wall median / p95        CPU mean`);
    for (const [name, { median, p95, cpuMean }] of Object.entries(figures)) {
      const cpu = cpuMean === undefined ? '' : `${cpuMean.toFixed(0).padStart(6)} ms ${x(cpuMean, floor.cpuMean)}`;
      console.log(
        `  ${name.padEnd(44)} ${median.toFixed(0).padStart(5)} ms / ${p95.toFixed(0).padStart(5)} ms ${x(median, floor.median).padStart(6)}   ${cpu}`
      );
    }
    const verdict = (ratio: number) => `${ratio.toFixed(2)}x ${ratio <= START_TARGET ? 'met' : 'MISSED'}`;
    for (const [label, name] of [
      ['cached credential_process', 'cached credential_process'],
      ['a role profile', 'the same, a role profile (creds --role)'],
    ] as const) {
      const cached = figures[name]!;
      console.log(
        `  ${label} against node -e 0 (target ≤ ${START_TARGET}x): wall ${verdict(cached.median / floor.median)}` +
          (cached.cpuMean === undefined || floor.cpuMean === undefined
            ? ''
            : `, CPU ${verdict(cached.cpuMean / floor.cpuMean)}`)
      );
    }
    console.log(
      `  fetch keeps a process alive ${(figures['one GET with fetch, to exit']!.median - figures['one GET with node:http, to exit']!.median).toFixed(0)} ms longer than node:http (wall medians)`
    );
    console.log(`\nthe installed package (${packed.tarball.split('/').at(-1)})`);
    for (const [file, bytes] of Object.entries(packed.files)) {
      console.log(`  ${file.padEnd(28)} ${(bytes / 1024).toFixed(0).padStart(6)} KB`);
    }
    console.log(
      `  installed: ${(installedBytes / 1024 / 1024).toFixed(2)} MB (target ≤ ${SIZE_TARGET_BYTES / 1024 / 1024} MB) ${installedBytes <= SIZE_TARGET_BYTES ? 'met' : 'MISSED'}; ` +
        `${bundled.length} packages bundled, server-side: ${serverSide.length === 0 ? 'none' : serverSide.join(', ')}`
    );
  } finally {
    packed.remove();
  }
};

export { measureStart };
