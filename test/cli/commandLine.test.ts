import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../cli/commandLine.js';
import { COMMANDS, commandsFor } from '../../cli/commands/index.js';
import { EXIT, UsageError } from '../../cli/errors.js';
import { runCli } from '../../cli/main.js';
import cliPackage from '../../cli/package/package.json' with { type: 'json' };
import { fakeContext } from './cliFakes.js';

const SPECS = await commandsFor([]);
const parse = (...argv: string[]) => parseCommandLine(argv, SPECS);
const runParsed = (...argv: string[]) => {
  const line = parse(...argv);
  if (line.kind !== 'run') throw new Error(`expected a command, got help:\n${line.text}`);
  return line;
};

describe('jit command line', () => {
  it('has every command of the issue, each with help that shows usage and an example', () => {
    const names = SPECS.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'request',
        'list',
        'inbox',
        'show',
        'approve',
        'deny',
        'cancel',
        'creds',
        'exec',
        'console',
        'done',
        'revoke',
        'extend',
        'audit',
        'setup-profile',
        'profiles',
        'completion',
      ])
    );
    for (const name of names) {
      const help = parse(name, '--help');
      expect(help.kind).toBe('help');
      if (help.kind !== 'help') continue;
      expect(help.text).toContain(`Usage: jit ${name}`);
      expect(help.text).toMatch(/Examples:\n {2}.*jit /);
      expect(help.text).toContain('Exit codes:');
    }
  });

  it('loads only the command a run names, and each entry loads the command of its name', async () => {
    expect((await commandsFor(['creds', 'g-1'])).map((c) => c.name)).toEqual(['creds']);
    expect((await commandsFor(['--help'])).map((c) => c.name)).toEqual(COMMANDS.map((entry) => entry.name));
    expect((await commandsFor(['aprove'])).length).toBe(COMMANDS.length);
  });

  it('prints the version with --version', async () => {
    const { context, stdout } = fakeContext();
    expect(await runCli(['--version'], context)).toBe(EXIT.ok);
    expect(stdout()).toBe(cliPackage.version);
  });

  it('offers --json on every read command', () => {
    for (const name of ['list', 'inbox', 'show', 'audit', 'creds']) {
      expect(
        runParsed(name, ...(name === 'list' || name === 'inbox' ? [] : ['g-1']), '--json').parsed.values.json
      ).toBe(true);
    }
  });

  it('lists the commands and the exit codes in jit --help and jit help', () => {
    for (const argv of [[], ['--help'], ['-h'], ['help']]) {
      const help = parse(...argv);
      expect(help.kind).toBe('help');
      if (help.kind === 'help') {
        expect(help.text).toContain('setup-profile');
        expect(help.text).toMatch(/ 4 {4}the broker could not be reached/);
      }
    }
    const topic = parse('help', 'exec');
    expect(topic.kind === 'help' && topic.text).toContain('Usage: jit exec <grant>');
  });

  it('collects repeated --action and --resource, and takes the role as an optional positional', () => {
    const { parsed } = runParsed(
      'request',
      'prod-read',
      '--action',
      's3:GetObject',
      '--action',
      's3:ListBucket',
      '--resource',
      'arn:aws:s3:::b/*',
      '--for',
      '30m',
      '--wait'
    );
    expect(parsed.positionals).toEqual(['prod-read']);
    expect(parsed.values.action).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(parsed.values.wait).toBe(true);
    expect(runParsed('request', '--template', 'debug').parsed.positionals).toEqual([]);
  });

  it('keeps everything after -- for exec, flags included', () => {
    const { parsed } = runParsed('exec', 'g-1', '--as', 'alice', '--', 'aws', 's3', 'ls', '--profile', 'x');
    expect(parsed.positionals).toEqual(['g-1']);
    expect(parsed.values.as).toBe('alice');
    expect(parsed.rest).toEqual(['aws', 's3', 'ls', '--profile', 'x']);
    expect(runParsed('exec', 'g-1').parsed.rest).toEqual([]); // exec starts $SHELL then
  });

  it('refuses unknown commands, unknown flags and wrong argument counts as usage errors', () => {
    expect(() => parse('aprove', 'g-1')).toThrow(
      /'aprove' is not a jit command \(did you mean 'approve'\?\); the commands are: request/
    );
    expect(() => parse('setup', 'g-1')).toThrow(/did you mean 'setup-profile'\?/);
    expect(() => parse('xyzzy')).toThrow(/'xyzzy' is not a jit command; the commands are/);
    expect(() => parse('show', 'g-1', '--colour')).toThrow(UsageError);
    expect(() => parse('show')).toThrow(/jit show takes <grant>; got none/);
    expect(() => parse('show', 'g-1', 'g-2')).toThrow(/got g-1 g-2/);
    expect(() => parse('done', 'g-1', '--json', '--extra')).toThrow(/see jit done --help/);
  });

  it('exits 1 with one line on stderr for usage errors, and 0 with help on stdout', async () => {
    const bad = fakeContext();
    expect(await runCli(['show'], bad.context)).toBe(EXIT.usage);
    expect(bad.stderr()).toMatch(/^jit: jit show takes <grant>/);
    expect(bad.stdout()).toBe('');

    const help = fakeContext();
    expect(await runCli(['deny', '--help'], help.context)).toBe(EXIT.ok);
    expect(help.stdout()).toContain('--comment TEXT');
  });
});
