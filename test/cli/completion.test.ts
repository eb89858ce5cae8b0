import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { fakeContext } from './cliFakes.js';

const script = async (shell: string) => {
  const { context, stdout } = fakeContext();
  expect(await runCli(['completion', shell], context)).toBe(0);
  return stdout();
};

/** What bash offers after `words`, with the script loaded as `eval "$(jit completion bash)"` would. */
const offered = (bashScript: string, words: string[]): string[] =>
  execFileSync(
    'bash',
    [
      '-c',
      `${bashScript}\nCOMP_WORDS=(${words.join(' ')}); COMP_CWORD=${words.length - 1}; _jit; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { encoding: 'utf8' }
  )
    .split('\n')
    .filter(Boolean);

describe('jit completion', () => {
  it('bash completes command names, then the flags of the command typed', async () => {
    const bash = await script('bash');
    expect(offered(bash, ['jit', 'appr'])).toEqual(['approve']);
    expect(offered(bash, ['jit', 'setup'])).toEqual(['setup-profile']);
    expect(offered(bash, ['jit', 'setup-profile', '--reg'])).toEqual(['--region']);
    expect(offered(bash, ['jit', 'request', '--ti'])).toEqual(['--ticket', '--timeout']);
    expect(offered(bash, ['jit', 'console', '--js'])).toEqual(['--json']);
  });

  it('zsh loads the same through bashcompinit; fish gets one line per command and flag', async () => {
    const zsh = await script('zsh');
    expect(zsh).toContain('autoload -U +X bashcompinit && bashcompinit');
    expect(zsh).toContain('complete -o default -F _jit jit');
    const fish = await script('fish');
    expect(fish).toContain(
      "complete -c jit -n __fish_use_subcommand -a exec -d 'Run a command with your grant\\'s credentials"
    );
    expect(fish).toContain("complete -c jit -n '__fish_seen_subcommand_from exec' -l kill-on-end");
  });

  it('names the shells it knows when given another', async () => {
    const { context, stderr } = fakeContext();
    expect(await runCli(['completion', 'tcsh'], context)).toBe(1);
    expect(stderr()).toContain('jit completion takes bash, zsh, fish');
  });
});
