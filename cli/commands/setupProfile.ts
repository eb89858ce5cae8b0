import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { GrantView } from '../api/brokerApi.js';
import { awsConfigPath } from '../awsConfigFile.js';
import type { CommandSpec } from '../commandLine.js';
import { type CliContext, type Connection, connect } from '../context.js';
import { endOf } from '../credentials/grantLiveness.js';
import { GrantClosedError } from '../errors.js';
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

/**
 * Whether a profile for this grant could ever give credentials: refused (exit 3) once the grant
 * has ended; written with a warning while it waits for approval. One place, so a profile per role
 * (several grants behind one name) can ask the same question of each grant.
 */
const profileWarning = (grant: GrantView, now: Date): string | undefined => {
  const end = endOf(grant, now);
  if (end !== undefined) {
    throw new GrantClosedError(
      `${end}; a profile for it would never give credentials, so none was written (request access again if you still need it)`
    );
  }
  return grant.state === 'PENDING'
    ? `grant ${grant.id} is PENDING: the profile gives credentials once it is approved (jit show ${grant.id})`
    : undefined;
};

const setupProfile: CommandSpec<CliContext> = {
  name: 'setup-profile',
  summary: 'Write an AWS profile that gets credentials for your grant through credential_process',
  usage: '<grant> [--profile NAME]',
  description: [
    'Writes [profile jit-NAME] into the AWS config file (AWS_CONFIG_FILE or ~/.aws/config) inside a block marked',
    '"# >>> jit-broker jit-NAME >>>" … "# <<< jit-broker jit-NAME <<<". Running it again replaces that block in',
    'place; nothing outside the markers is changed. Then plain `aws --profile jit-NAME …` and every AWS SDK use',
    'the grant, re-vended before each session expires, until the grant ends.',
    'A grant that has ended (done, revoked, expired, denied, cancelled) is refused with exit 3; a PENDING one',
    'gets its profile with a warning: it works once the grant is approved.',
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
    const warning = profileWarning(grant, context.now());
    if (warning !== undefined) context.io.err(`jit: ${warning}`);
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

export { credentialProcessArgs, profileWarning, setupProfile };
