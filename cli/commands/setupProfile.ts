import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { GrantView } from '../api/brokerApi.js';
import { type AwsTarget, awsCommand, awsTarget } from '../aws/awsTarget.js';
import { awsConfigPath, readAwsConfig } from '../awsConfigFile.js';
import type { CommandSpec } from '../commandLine.js';
import { type CliContext, type Connection, connect } from '../context.js';
import { endOf } from '../credentials/grantLiveness.js';
import { longestLasting, requestHint, roleGrants } from '../credentials/roleGrant.js';
import { GrantClosedError, UsageError } from '../errors.js';
import { printJson } from '../output.js';
import { beginMarker, renderBlock, upsertProfileBlock } from '../profile/awsConfigBlock.js';

/** The broker profile pinned when none was named: the SDK chain's own default, never AWS_PROFILE. */
const DEFAULT_SIGNING_PROFILE = 'default';

/** A grant id (`g-` + ULID) rather than a role id. */
const isGrantId = (text: string): boolean => text.startsWith('g-');

/**
 * The credential_process command: absolute paths and explicit flags only, because the AWS CLI
 * expands neither `~` nor environment variables there, and runs it with whatever env it has. The
 * signing profile is always pinned: with `AWS_PROFILE=jit-x terraform plan`, an unpinned jit would
 * read AWS_PROFILE and try to sign with the very profile it is answering for.
 */
const credentialProcessArgs = (
  launcherPath: string,
  subject: { grantId: string } | { roleId: string },
  { config, awsProfile }: Connection
): string[] => [
  launcherPath,
  'creds',
  ...('grantId' in subject ? [subject.grantId] : ['--role', subject.roleId]),
  '--format',
  'process',
  '--api',
  config.apiUrl.href.replace(/\/$/, ''),
  ...(config.mode === 'sandbox'
    ? ['--as', config.user as string]
    : ['--api-region', config.region as string, '--aws-profile', awsProfile ?? DEFAULT_SIGNING_PROFILE]),
];

/**
 * Whether a profile for this grant could ever give credentials: refused (exit 3) once the grant
 * has ended; written with a warning while it waits for approval.
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

/** What the profile stands for: one grant (it goes stale at the grant's end) or a role (stable). */
interface ProfileSubject {
  readonly subject: { grantId: string } | { roleId: string };
  readonly roleId: string;
  readonly comment: string;
  readonly warning?: string;
  readonly grantId?: string;
}

const grantSubject = async ({ api }: Connection, grantId: string, now: Date): Promise<ProfileSubject> => {
  const grant = await api.show(grantId);
  const warning = profileWarning(grant, now);
  return {
    subject: { grantId: grant.id },
    roleId: grant.roleId,
    comment: `grant ${grant.id} (${grant.roleId}, ${grant.state}): ends with the grant; written by jit setup-profile`,
    grantId: grant.id,
    ...(warning === undefined ? {} : { warning }),
  };
};

const roleSubject = async ({ api }: Connection, roleId: string, now: Date): Promise<ProfileSubject> => {
  const { live, pending } = await roleGrants(api, roleId, now);
  const current = longestLasting(live);
  const warning =
    current !== undefined
      ? undefined
      : pending !== undefined
        ? `your grant ${pending.id} for ${roleId} is PENDING: the profile gives credentials once it is approved`
        : `you have no live grant for ${roleId} yet: the profile gives credentials once you have one (${requestHint(roleId)})`;
  return {
    subject: { roleId },
    roleId,
    comment: `role ${roleId}: your live grant for it, whichever that is; written by jit setup-profile`,
    ...(current === undefined ? {} : { grantId: current.id }),
    ...(warning === undefined ? {} : { warning }),
  };
};

/** region always (tools need one); endpoint_url only for the sandbox's emulator (AWS CLI ≥ 2.13, current SDKs). */
const profileSettings = (target: AwsTarget): [string, string][] => [
  ...(target.region === undefined ? [] : [['region', target.region] as [string, string]]),
  ...(target.endpoint === undefined ? [] : [['endpoint_url', target.endpoint] as [string, string]]),
];

const setupProfile: CommandSpec<CliContext> = {
  name: 'setup-profile',
  summary: 'Write a stable AWS profile jit-ROLE that uses your live grant for ROLE (credential_process)',
  usage: '<role | grant> [--profile NAME] [--region REGION]',
  description: [
    'Writes [profile jit-ROLE] into the AWS config file (AWS_CONFIG_FILE or ~/.aws/config) inside a block marked',
    '"# >>> jit-broker jit-ROLE >>>" … "# <<< jit-broker jit-ROLE <<<". Running it again replaces that block in',
    'place; nothing outside the markers is changed. Then `aws --profile jit-ROLE …` and every AWS SDK get',
    'credentials from your live grant for ROLE, re-vended before each session expires. The profile outlives any',
    'one grant: after `jit done` and a new `jit request`, it uses the new grant; with none live it fails with',
    'how to request one. The profile pins the AWS profile that signs requests to the broker (--aws-profile, or',
    '"default"), so AWS_PROFILE=jit-ROLE can never make jit sign with itself, and writes `region` (--region; in',
    "the sandbox its emulator's Region and endpoint_url, read by AWS CLI >= 2.13 and current SDKs).",
    'Given a grant id instead, the profile uses that grant only (refused with exit 3 once it has ended).',
    '`jit profiles prune` removes profiles that can no longer give credentials.',
  ].join('\n'),
  options: { profile: { type: 'string', short: 'p' } },
  optionHelp: [['-p, --profile NAME', 'the profile is jit-NAME (default: the role id)']],
  examples: [
    'jit setup-profile prod-read --region eu-west-1 && aws --profile jit-prod-read s3 ls s3://example-bucket',
    'AWS_PROFILE=jit-prod-read terraform plan',
    'jit setup-profile g-01J… --profile debug   # this grant only',
  ],
  positionals: ['role-or-grant'],
  json: true,
  async run(context, { values, positionals }) {
    const connection = connect(context, values);
    const given = positionals[0]!;
    const now = context.now();
    const subject = isGrantId(given)
      ? await grantSubject(connection, given, now)
      : await roleSubject(connection, given, now);
    if (subject.warning !== undefined) context.io.err(`jit: ${subject.warning}`);
    const name = `jit-${((values.profile as string | undefined) ?? subject.roleId).replace(/^jit-/, '')}`;
    const path = awsConfigPath(context.env);
    const existing = readAwsConfig(path);
    if (connection.awsProfile !== undefined && existing.includes(beginMarker(connection.awsProfile))) {
      throw new UsageError(
        `${connection.awsProfile} is a jit profile: it cannot sign requests to the broker; pass --aws-profile <your own login profile>`
      );
    }
    const target = await awsTarget(connection, values);
    const fallbackRegion = context.env.AWS_REGION || context.env.AWS_DEFAULT_REGION || connection.config.region;
    const withRegion = target.region === undefined && fallbackRegion ? { ...target, region: fallbackRegion } : target;
    const block = renderBlock(
      name,
      credentialProcessArgs(context.launcherPath, subject.subject, connection),
      subject.comment,
      profileSettings(withRegion)
    );
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, upsertProfileBlock(existing, name, block), { mode: 0o600 });
    const tryIt = awsCommand(
      withRegion.endpoint === undefined ? {} : { endpoint: withRegion.endpoint },
      `--profile ${name} sts get-caller-identity`
    );
    if (values.json) {
      printJson(context.io, {
        profile: name,
        path,
        roleId: subject.roleId,
        ...(subject.grantId === undefined ? {} : { grantId: subject.grantId }),
        ...(withRegion.region === undefined ? {} : { region: withRegion.region }),
        ...(withRegion.endpoint === undefined ? {} : { endpointUrl: withRegion.endpoint }),
        ...(subject.warning === undefined ? {} : { warning: subject.warning }),
      });
      return 0;
    }
    context.io.out(`Wrote [profile ${name}] to ${path}`);
    context.io.out(`Use it: ${tryIt}`);
    return 0;
  },
};

export { credentialProcessArgs, isGrantId, profileWarning, setupProfile };
