import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { awsConfigPath, readAwsConfig } from '../awsConfigFile.js';
import type { CommandSpec, OptionValues } from '../commandLine.js';
import { type CliContext, connect } from '../context.js';
import { endOf } from '../credentials/grantLiveness.js';
import { ApiError, UsageError } from '../errors.js';
import { printJson } from '../output.js';
import { type JitProfile, jitProfiles, removeProfileBlock } from '../profile/awsConfigBlock.js';
import { signingFlags } from './creds.js';

/** The flags a profile's `jit creds …` line carries, read back to ask the broker it names. */
const credsFlags = (args: readonly string[]): { grantId?: string; values: OptionValues } => {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: {
      format: { type: 'string' },
      role: { type: 'string' },
      api: { type: 'string' },
      'api-region': { type: 'string' },
      region: { type: 'string' },
      as: { type: 'string' },
      'aws-profile': { type: 'string' },
    },
    allowPositionals: true,
    strict: false,
  });
  return { ...(positionals[0] === undefined ? {} : { grantId: positionals[0] }), values };
};

/**
 * Why a profile can no longer give credentials, or undefined while it can. A profile per role
 * stays good while jit is where it was; a profile per grant goes stale when its grant ends.
 */
const staleBecause = async (context: CliContext, profile: JitProfile): Promise<string | undefined> => {
  const [launcher, command, ...args] = profile.credentialProcess;
  if (launcher === undefined || command !== 'creds') return 'it has no jit credential_process line';
  if (!existsSync(launcher)) return `${launcher} is gone (jit moved or was uninstalled)`;
  const { grantId, values } = credsFlags(args);
  if (grantId === undefined) return undefined;
  const connection = connect(context, signingFlags(values));
  try {
    return endOf(await connection.api.show(grantId), context.now());
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 403)) {
      return `grant ${grantId} is not yours or does not exist (${error.code})`;
    }
    throw error;
  }
};

const profiles: CommandSpec<CliContext> = {
  name: 'profiles',
  summary: 'List the AWS profiles jit wrote, or prune the ones that can no longer give credentials',
  usage: 'list | prune [--dry-run]',
  description: [
    'Reads the jit-broker blocks of the AWS config file (AWS_CONFIG_FILE or ~/.aws/config). `prune` removes a',
    'block whose grant has ended or is not yours (asking the broker the profile names), or whose jit launcher',
    'is gone; profiles per role (jit setup-profile ROLE) stay, since they follow your next grant.',
    'Nothing outside the blocks is changed.',
  ].join('\n'),
  options: { 'dry-run': { type: 'boolean', short: 'n' } },
  optionHelp: [['-n, --dry-run', 'with prune: say what would be removed, change nothing']],
  examples: ['jit profiles list', 'jit profiles prune --dry-run', 'jit profiles prune'],
  positionals: ['action'],
  json: true,
  async run(context, { values, positionals }) {
    const action = positionals[0];
    if (action !== 'list' && action !== 'prune') {
      throw new UsageError(`jit profiles takes list or prune, got '${action}'`);
    }
    const path = awsConfigPath(context.env);
    const text = readAwsConfig(path);
    const found = jitProfiles(text);
    const checked = await Promise.all(
      found.map(async (profile) => ({ name: profile.name, stale: await staleBecause(context, profile) }))
    );
    if (action === 'prune' && !values['dry-run']) {
      const kept = checked.reduce(
        (rest, { name, stale }) => (stale === undefined ? rest : removeProfileBlock(rest, name)),
        text
      );
      if (kept !== text) writeFileSync(path, kept, { mode: 0o600 });
    }
    if (values.json) {
      printJson(context.io, {
        path,
        profiles: checked.map(({ name, stale }) => ({
          name,
          ...(stale === undefined ? {} : { stale, removed: action === 'prune' && !values['dry-run'] }),
        })),
      });
      return 0;
    }
    if (checked.length === 0) context.io.out(`No jit profiles in ${path}.`);
    const verb = values['dry-run'] ? 'would remove' : 'removed';
    for (const { name, stale } of checked) {
      if (stale === undefined) context.io.out(`${name}  ok`);
      else context.io.out(action === 'prune' ? `${name}  ${verb}: ${stale}` : `${name}  stale: ${stale}`);
    }
    return 0;
  },
};

export { profiles };
