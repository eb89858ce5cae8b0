import { realpathSync } from 'node:fs';
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
    context.io.err(`jit: ${(error as Error).message}`);
    return exitCodeFor(error);
  }
};

const processIo = (): Io => ({
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  interactive: process.stderr.isTTY === true,
  progress: (text) => process.stderr.write(`\r\x1b[2K${text}`),
});

const processContext = (launcherPath: string): CliContext => ({
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
  launcherPath,
  signingCredentials: defaultSigningCredentials,
});

/**
 * The process entry point (cli/run.ts in the built CLI). The launcher is the file node was asked
 * to run, links resolved: credential_process lines name it, so they keep working from any
 * directory (cli/bin/jit.mjs in a checkout, jit.cjs of the installed package).
 */
const main = async (launcherPath = realpathSync(process.argv[1] as string)): Promise<void> => {
  // exitCode rather than exit(): stdout on a pipe is flushed before Node exits.
  process.exitCode = await runCli(process.argv.slice(2), processContext(launcherPath));
};

export { main, runCli };
