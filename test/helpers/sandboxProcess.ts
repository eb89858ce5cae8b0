import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SANDBOX_TOKEN_HEADER } from '../../cli/sandboxToken.js';

interface Ready {
  readonly api: string;
  readonly dynamodb: string;
  readonly table: string;
  readonly access: 'emulator' | 'aws' | 'none';
  readonly awsEndpoint: string | null;
  /** The AWS emulator itself, behind the recording proxy at awsEndpoint: the broker's own calls go there. */
  readonly emulatorEndpoint: string | null;
  /** This start's API token, and where the sandbox wrote it for the jit CLI. */
  readonly token: string;
  readonly tokenFile: string;
  /** The web console's address, with this start's token in its fragment. */
  readonly console: string;
  /** With --test-oidc-issuer. */
  readonly testOidcIssuer: {
    readonly url: string;
    readonly requestToken: string;
    readonly audience: string;
    readonly tokenUrls: { readonly github: string; readonly gitlab: string };
  } | null;
}

interface SandboxProcess {
  readonly child: ChildProcess;
  readonly ready: Ready;
  /** The sandbox's own $XDG_STATE_HOME: a jit CLI given the same finds the token by itself. */
  readonly stateDir: string;
  output(): string;
}

/**
 * `npm start` as a user runs it (tsx sandbox/main.ts), with --json so the test can read where it
 * listens, and a state directory of its own (removed when it exits) for the token file.
 */
const startSandboxProcess = async (args: string[]): Promise<SandboxProcess> => {
  const stateDir = mkdtempSync(join(tmpdir(), 'jit-sandbox-state-'));
  const child = spawn('node_modules/.bin/tsx', ['sandbox/main.ts', '--json', '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, XDG_STATE_HOME: stateDir, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  child.once('exit', () => rmSync(stateDir, { recursive: true, force: true }));
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
  return { child, ready, stateDir, output: () => output };
};

/** What a jit CLI needs in its environment to talk to this sandbox as a user would: the URL, and where the token is. */
const cliEnvFor = ({ ready, stateDir }: SandboxProcess): NodeJS.ProcessEnv => ({
  JIT_API_URL: ready.api,
  XDG_STATE_HOME: stateDir,
});

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

/** One call to the sandbox's API as `user` (the loopback x-jit-user header, with its token), its status and JSON body. */
const callApi = async (
  ready: Pick<Ready, 'api' | 'token'>,
  user: string,
  method: string,
  path: string,
  body?: unknown
) => {
  const res = await fetch(`${ready.api}${path}`, {
    method,
    headers: { [SANDBOX_TOKEN_HEADER]: ready.token, 'x-jit-user': user, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

export type { Ready, SandboxProcess };
export { callApi, cliEnvFor, interrupt, runUntilExit, startSandboxProcess };
