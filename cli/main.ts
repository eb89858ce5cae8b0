import { realpathSync, writeSync } from 'node:fs';
import { displaySafe, displaySafeLines } from '../functions/domain/untrustedText.js';
import { nodeHttpFetch } from './api/httpTransport.js';
import { parseCommandLine } from './commandLine.js';
import { commandsFor } from './commands/index.js';
import { httpFederationEndpoint } from './console/federation.js';
import { type CliContext, defaultSigningCredentials } from './context.js';
import { exitCodeFor } from './errors.js';
import type { Io } from './output.js';
import { CLI_VERSION } from './version.js';

/** Runs one command line; returns the exit code. Errors become one `jit: …` line on stderr. */
const runCli = async (argv: readonly string[], context: CliContext): Promise<number> => {
  try {
    if (argv[0] === '--version' || argv[0] === '-V') {
      context.io.out(CLI_VERSION);
      return 0;
    }
    const line = parseCommandLine(argv, await commandsFor(argv));
    if (line.kind === 'help') {
      context.io.out(line.text);
      return 0;
    }
    return await line.command.run(context, line.parsed);
  } catch (error) {
    // Broker messages quote what was sent, and a local error may quote a file: neither may drive the terminal.
    context.io.err(`jit: ${displaySafe((error as Error).message)}`);
    return exitCodeFor(error);
  }
};

/**
 * Writes to stdout without building process.stdout: for a pipe (credential_process, `| jq`) that
 * loads Node's net module, about a fifth of a cached credential_process answer. writeSync while
 * the descriptor takes it; if it would block (a non-blocking pipe), this and all later output goes
 * through the stream, in order. A reader that went away (`jit audit … | head`) ends it quietly.
 */
const stdoutWriter = () => {
  let mode: 'direct' | 'stream' | 'closed' = 'direct';
  return (text: string): void => {
    let rest = Buffer.from(text);
    while (mode === 'direct' && rest.length > 0) {
      try {
        rest = rest.subarray(writeSync(1, rest));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') mode = 'stream';
        else if (code === 'EPIPE') mode = 'closed';
        else throw error;
      }
    }
    if (mode === 'stream' && rest.length > 0) process.stdout.write(rest);
  };
};

/**
 * The terminal. Whatever a command prints may carry someone else's text (a broker message that
 * echoes input, a field a renderer forgot), so every line is made display-safe here too: only the
 * CLI's own line breaks and its progress line's redraw reach the terminal as controls.
 */
const processIo = (write: (text: string) => void = stdoutWriter()): Io => {
  return {
    out: (text) => write(`${displaySafeLines(text)}\n`),
    err: (text) => process.stderr.write(`${displaySafeLines(text)}\n`),
    // A getter: reading process.stderr builds its stream, which a quiet command never needs.
    get interactive() {
      return process.stderr.isTTY === true;
    },
    progress: (text) => process.stderr.write(`\r\x1b[2K${displaySafe(text)}`),
  };
};

const processContext = (launcherPath: () => string): CliContext => ({
  io: processIo(),
  env: process.env,
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  interrupted: () => {
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    return controller.signal;
  },
  fetch: nodeHttpFetch,
  federation: httpFederationEndpoint(nodeHttpFetch),
  // Resolved when a command asks (setup-profile), not on every run.
  get launcherPath() {
    return launcherPath();
  },
  signingCredentials: defaultSigningCredentials,
});

/**
 * The process entry point (cli/run.ts in the built CLI). The launcher is the file node was asked
 * to run, links resolved: credential_process lines name it, so they keep working from any
 * directory (cli/bin/jit.mjs in a checkout, jit.cjs of the installed package).
 */
const main = async (): Promise<void> => {
  const launcherPath = () => realpathSync(process.argv[1] as string);
  // exitCode rather than exit(): stdout on a pipe is flushed before Node exits.
  process.exitCode = await runCli(process.argv.slice(2), processContext(launcherPath));
};

export { main, processIo, runCli };
