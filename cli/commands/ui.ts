import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { readUiFiles, type UiFiles } from '../../ui/server/staticUi.js';
import type { CommandSpec } from '../commandLine.js';
import { type CliContext, connect } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { createUiServer } from '../ui/uiServer.js';

/** The built console (`npm run build:ui`) beside the checkout's cli/: <root>/ui/dist. */
const defaultUiDir = (launcherPath: string): string => join(dirname(dirname(dirname(launcherPath))), 'ui', 'dist');

const loadFiles = (dir: string): UiFiles => {
  try {
    return readUiFiles(dir);
  } catch (error) {
    throw new UsageError(
      `the web console is not built in ${dir} (${(error as NodeJS.ErrnoException).code}): run npm run build:ui, or pass --ui-dir`
    );
  }
};

const ui: CommandSpec<CliContext> = {
  name: 'ui',
  summary: 'Open the web console on this machine: a loopback server that signs its calls as you',
  usage: '[--port N] [--ui-dir DIR]',
  description: [
    'Serves the console on 127.0.0.1 only and forwards its API calls to the broker with your own AWS',
    'credentials (SigV4, as every jit command does), or as --as <user> against the sandbox. Each start',
    'makes a new token, carried in the URL it prints: calls without it, or with a Host other than',
    '127.0.0.1/localhost, are refused. Ctrl-C stops it. See docs/console.md.',
  ].join('\n'),
  options: { port: { type: 'string' }, 'ui-dir': { type: 'string' } },
  optionHelp: [
    ['--port N', 'listen on this loopback port (default: a free one)'],
    ['--ui-dir DIR', 'the built console (default: ui/dist of this checkout)'],
  ],
  examples: ['jit ui', 'jit ui --api http://127.0.0.1:8787 --as dave'],
  positionals: [],
  async run(context, { values }) {
    const port = Number(values.port ?? 0);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be 0-65535, got '${values.port}'`);
    const files = loadFiles((values['ui-dir'] as string | undefined) ?? defaultUiDir(context.launcherPath));
    const connection = connect(context, values);
    const apiUrl = connection.config.apiUrl.href.replace(/\/$/, '');
    const token = randomBytes(24).toString('base64url');
    const server = createUiServer({
      files,
      token,
      call: connection.call,
      session:
        connection.config.mode === 'sandbox'
          ? { mode: 'sandbox', users: [connection.config.user as string], apiUrl }
          : { mode: 'signed', apiUrl },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const { port: bound } = server.address() as AddressInfo;
    context.io.out(`jit ui: open http://127.0.0.1:${bound}/ui/#token=${token}\n(Ctrl-C stops it)`);
    await new Promise<void>((resolve) => {
      context.interrupted().addEventListener('abort', () => resolve(), { once: true });
    });
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return EXIT.ok;
  },
};

export { ui };
