import type { CommandSpec } from '../commandLine.js';
import type { CliContext } from '../context.js';

/**
 * A command by name, and how to load it. Each command is a dynamic import, so a run loads only the
 * code of the command it runs: a cached `credential_process` answer never loads the HTTP client,
 * the AWS SDK or the exec server.
 */
interface CommandEntry {
  readonly name: string;
  readonly load: () => Promise<CommandSpec<CliContext>>;
}

/** Every `jit` command, in the order `jit --help` lists them (a grant's life, then the rest). */
const COMMANDS: readonly CommandEntry[] = [
  { name: 'request', load: async () => (await import('./request.js')).request },
  { name: 'list', load: async () => (await import('./readCommands.js')).list },
  { name: 'inbox', load: async () => (await import('./readCommands.js')).inbox },
  { name: 'show', load: async () => (await import('./readCommands.js')).show },
  { name: 'approve', load: async () => (await import('./reviewCommands.js')).approve },
  { name: 'deny', load: async () => (await import('./reviewCommands.js')).deny },
  { name: 'cancel', load: async () => (await import('./reviewCommands.js')).cancel },
  { name: 'creds', load: async () => (await import('./creds.js')).creds },
  { name: 'exec', load: async () => (await import('./exec.js')).exec },
  { name: 'console', load: async () => (await import('./console.js')).consoleCommand },
  { name: 'setup-profile', load: async () => (await import('./setupProfile.js')).setupProfile },
  { name: 'profiles', load: async () => (await import('./profiles.js')).profiles },
  { name: 'done', load: async () => (await import('./endCommands.js')).done },
  { name: 'extend', load: async () => (await import('./endCommands.js')).extend },
  { name: 'revoke', load: async () => (await import('./endCommands.js')).revoke },
  { name: 'audit', load: async () => (await import('./readCommands.js')).audit },
  { name: 'reviews', load: async () => (await import('./readCommands.js')).reviews },
  { name: 'review', load: async () => (await import('./reviewCommands.js')).review },
  { name: 'ci', load: async () => (await import('./ciCommands.js')).ci },
  { name: 'report', load: async () => (await import('./reportCommand.js')).report },
  { name: 'ui', load: async () => (await import('./ui.js')).ui },
  { name: 'completion', load: async () => (await import('./completion.js')).completion },
];

/** The specs argv needs: only the command it names, or every command (for help and unknown names). */
const commandsFor = async (argv: readonly string[]): Promise<CommandSpec<CliContext>[]> => {
  const named = COMMANDS.find((entry) => entry.name === argv[0]);
  return named === undefined ? Promise.all(COMMANDS.map((entry) => entry.load())) : [await named.load()];
};

export type { CommandEntry };
export { COMMANDS, commandsFor };
