import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

interface Ready {
  readonly api: string;
  readonly dynamodb: string;
  readonly table: string;
  readonly access: 'emulator' | 'aws' | 'none';
  readonly awsEndpoint: string | null;
  /** With --test-oidc-issuer. */
  readonly testOidcIssuer: {
    readonly url: string;
    readonly requestToken: string;
    readonly audience: string;
    readonly tokenUrls: { readonly github: string; readonly gitlab: string };
  } | null;
}

/** `npm start` as a user runs it (tsx sandbox/main.ts), with --json so the test can read where it listens. */
const startSandboxProcess = async (
  args: string[]
): Promise<{ child: ChildProcess; ready: Ready; output: () => string }> => {
  const child = spawn('node_modules/.bin/tsx', ['sandbox/main.ts', '--json', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      output += `${line}\n`;
      if (line.startsWith('{"ready":true')) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`sandbox exited with ${code} before it was ready:\n${output}`)));
  });
  return { child, ready, output: () => output };
};

/** Sends Ctrl-C and resolves with the exit code. */
const interrupt = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });

/** Runs the sandbox expecting it to fail at start; resolves with its exit code and output. */
const runUntilExit = (args: string[]): Promise<{ code: number | null; output: string }> =>
  new Promise((resolve) => {
    const child = spawn('node_modules/.bin/tsx', ['sandbox/main.ts', '--json', '--port', '0', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString();
    });
    child.once('exit', (code) => resolve({ code, output }));
  });

/** One call to the sandbox's API as `user` (the loopback x-jit-user header), its status and JSON body. */
const callApi = async (api: string, user: string, method: string, path: string, body?: unknown) => {
  const res = await fetch(`${api}${path}`, {
    method,
    headers: { 'x-jit-user': user, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

export { callApi, interrupt, runUntilExit, startSandboxProcess };
