import type { CommandSpec } from '../commandLine.js';
import { GLOBAL_FLAGS } from '../commandLine.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { COMMANDS } from './index.js';

const SHELLS = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof SHELLS)[number];

interface Completable {
  readonly name: string;
  readonly summary: string;
  readonly flags: readonly string[];
}

const flagsOf = (spec: CommandSpec<CliContext>): string[] => [
  ...Object.keys(spec.options),
  ...(spec.json ? ['json'] : []),
  ...GLOBAL_FLAGS,
];

/** bash (and zsh through bashcompinit): the command names, then the flags of the command typed. */
const bashScript = (commands: readonly Completable[]): string =>
  [
    '# jit completion for bash: eval "$(jit completion bash)" in ~/.bashrc',
    '_jit() {',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's ${…}, not JavaScript's
    '  local cur=${COMP_WORDS[COMP_CWORD]}',
    '  if [ "$COMP_CWORD" -eq 1 ]; then',
    `    COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(' ')}" -- "$cur"))`,
    '    return',
    '  fi',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash's ${…}, not JavaScript's
    '  case "${COMP_WORDS[1]}" in',
    ...commands.map(
      (c) => `    ${c.name}) COMPREPLY=($(compgen -W "${c.flags.map((f) => `--${f}`).join(' ')}" -- "$cur")) ;;`
    ),
    '  esac',
    '}',
    'complete -o default -F _jit jit',
  ].join('\n');

const zshScript = (commands: readonly Completable[]): string =>
  [
    '# jit completion for zsh: eval "$(jit completion zsh)" in ~/.zshrc',
    'autoload -U +X bashcompinit && bashcompinit',
    bashScript(commands).split('\n').slice(1).join('\n'),
  ].join('\n');

const fishQuote = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

const fishScript = (commands: readonly Completable[]): string =>
  [
    '# jit completion for fish: jit completion fish > ~/.config/fish/completions/jit.fish',
    'complete -c jit -f',
    ...commands.map((c) => `complete -c jit -n __fish_use_subcommand -a ${c.name} -d ${fishQuote(c.summary)}`),
    ...commands.flatMap((c) =>
      c.flags.map((f) => `complete -c jit -n '__fish_seen_subcommand_from ${c.name}' -l ${f}`)
    ),
  ].join('\n');

const SCRIPTS: Readonly<Record<Shell, (commands: readonly Completable[]) => string>> = {
  bash: bashScript,
  zsh: zshScript,
  fish: fishScript,
};

const completion: CommandSpec<CliContext> = {
  name: 'completion',
  summary: 'Print a shell completion script: commands and their flags (bash, zsh, fish)',
  usage: 'bash|zsh|fish',
  options: {},
  optionHelp: [],
  examples: [
    'eval "$(jit completion bash)"    # in ~/.bashrc',
    'eval "$(jit completion zsh)"     # in ~/.zshrc',
    'jit completion fish > ~/.config/fish/completions/jit.fish',
  ],
  positionals: ['shell'],
  async run(context, { positionals }) {
    const shell = positionals[0] as Shell;
    if (!SHELLS.includes(shell)) throw new UsageError(`jit completion takes ${SHELLS.join(', ')}, got '${shell}'`);
    const specs = await Promise.all(COMMANDS.map((entry) => entry.load()));
    context.io.out(
      SCRIPTS[shell](specs.map((spec) => ({ name: spec.name, summary: spec.summary, flags: flagsOf(spec) })))
    );
    return 0;
  },
};

export { completion };
