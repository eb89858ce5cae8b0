import { type ParseArgsConfig, parseArgs } from 'node:util';
import { EXIT, UsageError } from './errors.js';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;
type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

interface ParsedCommand {
  readonly values: OptionValues;
  /** Positional arguments before `--`. */
  readonly positionals: readonly string[];
  /** Everything after `--` (only for commands with `passThrough`). */
  readonly rest: readonly string[];
}

/** One `jit <name>` command: its help, its flags, and what it does. */
interface CommandSpec<Context> {
  readonly name: string;
  readonly summary: string;
  /** The synopsis after `jit <name>`, e.g. `<grant> [--comment TEXT]`. */
  readonly usage: string;
  readonly description?: string;
  readonly options: OptionSpecs;
  /** One line per option, in help order: [flag text, explanation]. */
  readonly optionHelp: readonly (readonly [string, string])[];
  readonly examples: readonly string[];
  /** Positional argument names; a trailing `?` marks an optional one. */
  readonly positionals: readonly string[];
  /** Prints machine-readable JSON on stdout with --json. */
  readonly json?: boolean;
  /** Takes a command after `--` (the command decides what none means). */
  readonly passThrough?: boolean;
  readonly run: (context: Context, parsed: ParsedCommand) => Promise<number>;
}

/** Flags every command takes: where the broker is and who you are in the sandbox. */
const GLOBAL_OPTIONS: OptionSpecs = {
  api: { type: 'string' },
  'api-region': { type: 'string' },
  region: { type: 'string' },
  as: { type: 'string' },
  'aws-profile': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};
const JSON_OPTION: OptionSpecs = { json: { type: 'boolean' } };
/** The long names of the global flags, for shell completion. */
const GLOBAL_FLAGS: readonly string[] = Object.keys(GLOBAL_OPTIONS);

const GLOBAL_HELP: readonly (readonly [string, string])[] = [
  ['--api URL', 'the broker API (env JIT_API_URL, config file "api")'],
  [
    '--api-region REGION',
    "the broker API's SigV4 signing region (env JIT_API_REGION; default: from an execute-api URL)",
  ],
  ['--region REGION', 'the AWS Region you work in: exec exports it, setup-profile writes it, console opens it'],
  ['--as USER', 'your user in the loopback sandbox (env JIT_USER); not used against AWS'],
  ['--aws-profile NAME', 'the AWS profile whose credentials sign requests (env AWS_PROFILE)'],
  ['-h, --help', 'show help'],
];

const EXIT_HELP = `Exit codes:
  ${EXIT.ok}    ok
  ${EXIT.usage}    usage or configuration error (bad flag, bad duration, no --api, no --as for the sandbox)
  ${EXIT.refused}    the broker refused the request (4xx: not found, not allowed, wrong state, invalid)
  ${EXIT.grantClosed}    the grant was denied, cancelled, or has ended, been revoked or expired
  ${EXIT.unreachable}    the broker could not be reached
  ${EXIT.brokerFailed}    the broker failed (5xx) or the answer was not the broker's
  ${EXIT.stillPending}    --wait --timeout ran out while the grant was still pending
  ${EXIT.chainBroken}    jit audit: the grant's audit hash chain does not verify
  ${EXIT.unexpected}   a local failure or a bug (the message says which)
  ${EXIT.interrupted}  interrupted (Ctrl-C)
  exec exits with the command's own exit code, or 3 when --kill-on-end stopped it because the grant ended.`;

const table = (rows: readonly (readonly [string, string])[]): string => {
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`).join('\n');
};

const commandHelp = <C>(command: CommandSpec<C>): string => {
  const own = command.json ? [...command.optionHelp, ['--json', 'print JSON on stdout'] as const] : command.optionHelp;
  return [
    `Usage: jit ${command.name} ${command.usage}`.trimEnd(),
    '',
    command.summary,
    ...(command.description ? ['', command.description] : []),
    ...(own.length > 0 ? ['', 'Options:', table(own)] : []),
    '',
    'Global options:',
    table(GLOBAL_HELP),
    '',
    'Examples:',
    ...command.examples.map((example) => `  ${example}`),
    '',
    'Exit codes: 0 ok, 1 usage, 2 refused, 3 grant closed, 4 unreachable, 5 broker failed (jit --help lists all)',
  ].join('\n');
};

const overallHelp = <C>(commands: readonly CommandSpec<C>[]): string =>
  [
    'Usage: jit <command> [options]',
    '',
    'Just-in-time AWS access: request it for a task, wait for approval, use it, end it.',
    '',
    'Commands:',
    table(commands.map((c) => [c.name, c.summary])),
    '',
    'Global options:',
    table(GLOBAL_HELP),
    '',
    'Examples:',
    '  jit request prod-read --action s3:GetObject --resource "arn:aws:s3:::example-bucket/*" \\',
    '      --for 30m --reason "debug the nightly export" --wait',
    '  jit exec g-01J… --region eu-west-1 -- aws s3 cp s3://example-bucket/report.csv .',
    '  jit setup-profile prod-read && aws --profile jit-prod-read s3 ls s3://example-bucket',
    '  jit done g-01J…',
    '',
    'Run `jit <command> --help` for a command, `jit --version` for the version, `jit completion bash|zsh|fish`',
    'for shell completion. Configuration: docs/cli.md.',
    '',
    EXIT_HELP,
  ].join('\n');

/** Edit distance (insert, delete, substitute, swap neighbours): how far a typo is from a command. */
const editDistance = (a: string, b: string): number => {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i || j));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = d[i] as number[];
      const above = d[i - 1] as number[];
      row[j] = Math.min(
        (above[j] as number) + 1,
        (row[j - 1] as number) + 1,
        (above[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1)
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
};

/** The command a typo most likely meant, if one is close (at most 2 edits, or a prefix). */
const closest = (typed: string, names: readonly string[]): string | undefined => {
  const prefixed = names.filter((n) => typed.length >= 2 && n.startsWith(typed));
  if (prefixed.length === 1) return prefixed[0];
  const ranked = names.map((n) => [n, editDistance(typed, n)] as const).sort((x, y) => x[1] - y[1]);
  const best = ranked[0];
  return best !== undefined && best[1] <= Math.min(2, Math.floor(typed.length / 2)) ? best[0] : undefined;
};

type CommandLine<C> =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'run'; readonly command: CommandSpec<C>; readonly parsed: ParsedCommand };

/** Turns argv (without node and the script) into a command to run, or help to print. Pure. */
const parseCommandLine = <C>(argv: readonly string[], commands: readonly CommandSpec<C>[]): CommandLine<C> => {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h') return { kind: 'help', text: overallHelp(commands) };
  const lookup = (wanted: string) => commands.find((c) => c.name === wanted);
  if (name === 'help') {
    const topic = args[0] === undefined ? undefined : lookup(args[0]);
    return { kind: 'help', text: topic ? commandHelp(topic) : overallHelp(commands) };
  }
  const command = lookup(name);
  if (command === undefined) {
    const near = closest(
      name,
      commands.map((c) => c.name)
    );
    throw new UsageError(
      `'${name}' is not a jit command${near === undefined ? '' : ` (did you mean '${near}'?)`}; the commands are: ${commands.map((c) => c.name).join(', ')}`
    );
  }
  const split = command.passThrough ? args.indexOf('--') : -1;
  const own = split === -1 ? args : args.slice(0, split);
  const rest = split === -1 ? [] : args.slice(split + 1);
  let values: OptionValues;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...own],
      options: { ...GLOBAL_OPTIONS, ...(command.json ? JSON_OPTION : {}), ...command.options },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (see jit ${name} --help)`);
  }
  if (values.help) return { kind: 'help', text: commandHelp(command) };
  const required = command.positionals.filter((p) => !p.endsWith('?')).length;
  if (positionals.length < required || positionals.length > command.positionals.length) {
    const wanted =
      command.positionals.map((p) => (p.endsWith('?') ? `[${p.slice(0, -1)}]` : `<${p}>`)).join(' ') || 'no arguments';
    throw new UsageError(
      `jit ${name} takes ${wanted}; got ${positionals.length ? positionals.join(' ') : 'none'} (see jit ${name} --help)`
    );
  }
  return { kind: 'run', command, parsed: { values, positionals, rest } };
};

export type { CommandSpec, OptionSpecs, OptionValues, ParsedCommand };
export { closest, GLOBAL_FLAGS, parseCommandLine };
