import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { awsConfigPath } from '../awsConfigFile.js';
import type { CommandSpec } from '../commandLine.js';
import { type CliContext, type Connection, connect } from '../context.js';
import { renderBlock, upsertProfileBlock } from '../profile/awsConfigBlock.js';

const readOrEmpty = (path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
};

/**
 * The credential_process command: absolute paths and explicit flags only, because the AWS CLI
 * expands neither `~` nor environment variables there, and runs it with whatever env it has.
 */
const credentialProcessArgs = (launcherPath: string, grantId: string, { config, awsProfile }: Connection): string[] => [
  launcherPath,
  'creds',
  grantId,
  '--format',
  'process',
  '--api',
  config.apiUrl.href.replace(/\/$/, ''),
  ...(config.mode === 'sandbox'
    ? ['--as', config.user as string]
    : ['--region', config.region as string, ...(awsProfile === undefined ? [] : ['--aws-profile', awsProfile])]),
];

const setupProfile: CommandSpec<CliContext> = {
  name: 'setup-profile',
  summary: 'Write an AWS profile that gets credentials for your grant through credential_process',
  usage: '<grant> [--profile NAME]',
  description: [
    'Writes [profile jit-NAME] into the AWS config file (AWS_CONFIG_FILE or ~/.aws/config) inside a block marked',
    '"# >>> jit-broker jit-NAME >>>" … "# <<< jit-broker jit-NAME <<<". Running it again replaces that block in',
    'place; nothing outside the markers is changed. Then plain `aws --profile jit-NAME …` and every AWS SDK use',
    'the grant, re-vended before each session expires, until the grant ends.',
  ].join('\n'),
  options: { profile: { type: 'string', short: 'p' } },
  optionHelp: [['-p, --profile NAME', "the profile is jit-NAME (default: the grant's role id)"]],
  examples: [
    'jit setup-profile g-01J… --profile debug && aws --profile jit-debug s3 ls s3://example-bucket',
    'AWS_PROFILE=jit-prod-read terraform plan   # after: jit setup-profile g-01J…',
  ],
  positionals: ['grant'],
  async run(context, { values, positionals }) {
    const connection = connect(context, values);
    const grant = await connection.api.show(positionals[0]!);
    const name = `jit-${((values.profile as string | undefined) ?? grant.roleId).replace(/^jit-/, '')}`;
    const path = awsConfigPath(context.env);
    const block = renderBlock(
      name,
      credentialProcessArgs(context.launcherPath, grant.id, connection),
      `grant ${grant.id} (${grant.roleId}, ${grant.state}); written by jit setup-profile`
    );
    const updated = upsertProfileBlock(readOrEmpty(path), name, block);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, updated, { mode: 0o600 });
    context.io.out(`Wrote [profile ${name}] to ${path}`);
    context.io.out(`Use it: aws --profile ${name} sts get-caller-identity`);
    return 0;
  },
};

export { credentialProcessArgs, setupProfile };
