/**
 * What the client's re-check of a grant costs (docs/cli.md, "When the grant ends"), measured in one
 * run against the sandbox process: a credential answer served from the cache within the bound,
 * the same answer after the re-check (one GET /grants/{id} and a cache write), and a fresh vend
 * for scale. Then whole `jit creds --format process` processes, as `credential_process` runs them,
 * without and with the re-check. Rounds alternate the series so machine noise hits them alike.
 * Then what starting jit costs against `node -e 0`, and the installed package's size (cliStart.ts).
 *
 *   npm run bench:cli      (BENCH_ROUNDS, BENCH_PROCESS_ROUNDS, BENCH_START_ROUNDS for fewer rounds)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { brokerApi } from '../cli/api/brokerApi.js';
import { createBrokerClient } from '../cli/api/brokerClient.js';
import { nodeHttpFetch } from '../cli/api/httpTransport.js';
import { resolveConfig } from '../cli/config.js';
import { fileCredentialCache } from '../cli/credentials/credentialCache.js';
import { credentialSource } from '../cli/credentials/credentialSource.js';
import { cliEnvFor, interrupt, startSandboxProcess } from '../test/helpers/sandboxProcess.js';
import { measureStart } from './cliStart.js';
import { timedInRotation } from './rotation.js';
import { summary } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const PROCESS_ROUNDS = Number(process.env.BENCH_PROCESS_ROUNDS ?? 10);
const WARMUP = 20;

const ms = (value: number) => `${value.toFixed(2)} ms`;

/** Times each series in rotation (timedInRotation): each one's summary. */
const alternate = async (series: Record<string, () => Promise<void>>, rounds: number, warmup: number) => {
  const timings = await timedInRotation(series, rounds, warmup);
  return Object.fromEntries(Object.entries(timings).map(([name, samples]) => [name, summary(samples)]));
};

const runJit = (args: string[], env: NodeJS.ProcessEnv) =>
  new Promise<void>((done, fail) => {
    const child = spawn(process.execPath, [resolve('cli/bin/jit.mjs'), ...args], { stdio: 'ignore', env });
    child.once('exit', (code) => (code === 0 ? done() : fail(new Error(`jit ${args[0]} exited ${code}`))));
  });

const main = async () => {
  const sandbox = await startSandboxProcess(['--in-memory']);
  const home = mkdtempSync(join(tmpdir(), 'jit-bench-cli-'));
  try {
    const apiAs = (user: string) =>
      brokerApi(
        createBrokerClient(resolveConfig({ flags: { api: sandbox.ready.api, as: user }, env: cliEnvFor(sandbox) }), {
          fetch: nodeHttpFetch,
          credentials: async () => {
            throw new Error('the sandbox does not sign');
          },
        })
      );
    const alice = apiAs('alice');
    const grant = await alice.request({
      role: 'prod-read',
      scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] },
      durationSeconds: 4 * 3600,
      reason: 'benchmark the client re-check',
    });
    await apiAs('bob').approve(grant.id);

    const cache = fileCredentialCache(join(home, 'cache', 'jit'));
    const sourceWithBound = (recheckAfterMs: number, key: string) =>
      credentialSource(grant.id, { api: alice, cache, cacheKey: key, now: () => new Date(), recheckAfterMs });
    const cached = sourceWithBound(30_000, 'cached');
    const rechecked = sourceWithBound(0, 'rechecked');
    await cached.current();
    await rechecked.current();

    const inProcess = await alternate(
      {
        cached: async () => void (await cached.current()),
        recheck: async () => void (await rechecked.current()),
        vend: async () => void (await alice.vend(grant.id)),
      },
      ROUNDS,
      WARMUP
    );

    const env = (recheckSeconds: string): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      HOME: home,
      XDG_CACHE_HOME: join(home, 'cache'),
      XDG_CONFIG_HOME: join(home, 'config'),
      ...cliEnvFor(sandbox),
      JIT_USER: 'alice',
      JIT_RECHECK_SECONDS: recheckSeconds,
    });
    const credsArgs = ['creds', grant.id, '--format', 'process'];
    await runJit(credsArgs, env('30'));
    const processes = await alternate(
      {
        cached: () => runJit(credsArgs, env('30')),
        recheck: () => runJit(credsArgs, env('0')),
      },
      PROCESS_ROUNDS,
      2
    );

    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    const cost = inProcess.recheck!.median - inProcess.cached!.median;
    console.log(`client re-check of a grant, sandbox at ${sandbox.ready.api} (${ROUNDS} rounds, medians / p95)`);
    console.log(`  cached answer within the bound   ${ms(inProcess.cached!.median)} / ${ms(inProcess.cached!.p95)}`);
    console.log(`  answer after a re-check (GET)    ${ms(inProcess.recheck!.median)} / ${ms(inProcess.recheck!.p95)}`);
    console.log(`  a fresh vend (POST), for scale   ${ms(inProcess.vend!.median)} / ${ms(inProcess.vend!.p95)}`);
    console.log(
      `  re-check cost per call: +${ms(cost)} (${ratio(inProcess.recheck!.median, inProcess.vend!.median)} of a vend)`
    );
    console.log(`whole \`jit creds --format process\` processes (${PROCESS_ROUNDS} rounds, medians / p95)`);
    console.log(`  cached within the bound          ${ms(processes.cached!.median)} / ${ms(processes.cached!.p95)}`);
    console.log(`  with the re-check                ${ms(processes.recheck!.median)} / ${ms(processes.recheck!.p95)}`);
    console.log(`  ratio: ${ratio(processes.recheck!.median, processes.cached!.median)}`);

    await measureStart({ api: sandbox.ready.api, grantId: grant.id, env: env('30') });
  } finally {
    await interrupt(sandbox.child);
    rmSync(home, { recursive: true, force: true });
  }
};

await main();
