import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { freePort } from './freePort.js';

interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  /** SIGTERM, then SIGKILL after 3 s; resolves once the process has exited. */
  stop(): Promise<void>;
  /** Forgets every resource (roles, policies, schedules) without a restart. */
  reset(): Promise<void>;
}

const INSTALL_HINT = 'moto_server is not on PATH; install it with: pip install "moto[server]"';

/** Is `moto_server` installed? Runs it once with --help (about a second: it is a Python program). */
const motoServerAvailable = (): boolean => {
  const probe = spawnSync('moto_server', ['--help'], { stdio: 'ignore', timeout: 15_000 });
  return probe.error === undefined && probe.status === 0;
};

const exitReason = (child: ChildProcess, spawnError: Error | undefined): string | undefined => {
  if (spawnError !== undefined) return `could not be started (${spawnError.message}); ${INSTALL_HINT}`;
  if (child.exitCode !== null) return `exited with code ${child.exitCode}`;
  return child.signalCode === null ? undefined : `was killed by ${child.signalCode}`;
};

/** `gone()` says why the process can no longer answer (it exited, or never started), or undefined. */
const waitUntilAnswering = async (endpoint: string, gone: () => string | undefined, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const why = gone();
    if (why !== undefined) throw new Error(`moto_server ${why} while starting`);
    try {
      // Bounded: a process that accepts connections but never answers must not outlast the deadline.
      const answer = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(2000) });
      await answer.arrayBuffer();
      if (answer.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint}/moto-api/ within ${timeoutMs} ms`);
};

/**
 * Starts moto_server (the AWS emulator we use for STS, IAM and Scheduler) on 127.0.0.1 and a free
 * port. State lives in memory only. moto checks no permissions, so it tests calls, not policies.
 */
const startMotoServer = async (): Promise<MotoServer> => {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  // moto logs every request to stderr: keep reading, or the pipe fills and moto blocks.
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const endpoint = `http://127.0.0.1:${port}`;
  // If our own process dies without a clean stop, don't leave moto running behind it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = () =>
    new Promise<void>((done) => {
      process.off('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null || spawnError !== undefined) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
      // Open keep-alive connections can hold moto for a couple of seconds.
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
  const reset = async () => {
    const answer = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    await answer.arrayBuffer();
    if (!answer.ok) throw new Error(`moto_server refused to reset: HTTP ${answer.status}`);
  };
  try {
    await waitUntilAnswering(endpoint, () => exitReason(child, spawnError), 30_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}${stderr ? `\n${stderr}` : ''}`, { cause: error });
  }
  return { endpoint, port, stop, reset };
};

export type { MotoServer };
export { motoServerAvailable, startMotoServer };
