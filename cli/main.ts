import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { displaySafe, displaySafeLines } from '../functions/domain/untrustedText.js';
import { parseCommandLine } from './commandLine.js';
import { COMMANDS } from './commands/index.js';
import { httpFederationEndpoint } from './console/federation.js';
import { type CliContext, defaultSigningCredentials } from './context.js';
import { exitCodeFor } from './errors.js';
import type { Io } from './output.js';

/** Runs one command line; returns the exit code. Errors become one `jit: …` line on stderr. */
const runCli = async (argv: readonly string[], context: CliContext): Promise<number> => {
  try {
    const line = parseCommandLine(argv, COMMANDS);
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
 * The terminal. Whatever a command prints may carry someone else's text (a broker message that
 * echoes input, a field a renderer forgot), so every line is made display-safe here too: only the
 * CLI's own line breaks and its progress line's redraw reach the terminal as controls.
 */
const processIo = (): Io => ({
  out: (text) => process.stdout.write(`${displaySafeLines(text)}\n`),
  err: (text) => process.stderr.write(`${displaySafeLines(text)}\n`),
  interactive: process.stderr.isTTY === true,
  progress: (text) => process.stderr.write(`\r\x1b[2K${displaySafe(text)}`),
});

const processContext = (): CliContext => ({
  io: processIo(),
  env: process.env,
  now: () => new Date(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  interrupted: () => {
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    return controller.signal;
  },
  fetch,
  federation: httpFederationEndpoint(),
  launcherPath: join(dirname(fileURLToPath(import.meta.url)), 'bin', 'jit.mjs'),
  signingCredentials: defaultSigningCredentials,
});

/** The process entry point, called by cli/bin/jit.mjs. */
const main = async (): Promise<void> => {
  // exitCode rather than exit(): stdout on a pipe is flushed before Node exits.
  process.exitCode = await runCli(process.argv.slice(2), processContext());
};

export { main, processIo, runCli };
