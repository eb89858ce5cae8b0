import type { VendedCredentials } from '../api/brokerApi.js';
import type { CommandSpec, OptionValues } from '../commandLine.js';
import { type CliContext, type Connection, connect } from '../context.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { shellQuote } from '../profile/awsConfigBlock.js';

const FORMATS = ['env', 'json', 'process'] as const;
type Format = (typeof FORMATS)[number];

/** `eval "$(jit creds g)"` — note these do not refresh; jit exec and credential_process do. */
const asEnv = (c: VendedCredentials): string =>
  [
    `export AWS_ACCESS_KEY_ID=${shellQuote(c.AccessKeyId)}`,
    `export AWS_SECRET_ACCESS_KEY=${shellQuote(c.SecretAccessKey)}`,
    `export AWS_SESSION_TOKEN=${shellQuote(c.SessionToken)}`,
    `export AWS_CREDENTIAL_EXPIRATION=${shellQuote(c.Expiration)}`,
  ].join('\n');

const render = (format: Format, grantId: string, c: VendedCredentials): string => {
  switch (format) {
    case 'process':
      return JSON.stringify(c);
    case 'json':
      // The names `aws configure export-credentials --format process` and the SDKs use, plus the grant.
      return JSON.stringify({ ...c, GrantId: grantId }, null, 2);
    case 'env':
      return asEnv(c);
  }
};

/** Profiles written before --api-region named the signing region --region; a creds line has no other use for it. */
const signingFlags = (values: OptionValues): OptionValues => ({
  ...values,
  'api-region': values['api-region'] ?? values.region,
});

const isEnd = (error: unknown): boolean => error instanceof CliError && error.exitCode === EXIT.grantClosed;

/**
 * Credentials of the caller's live grant for `role`. When the grant remembered for the role has
 * ended, the role's profile moves on to another live grant if there is one.
 */
const roleCredentials = async (connection: Connection, role: string) => {
  const grantId = await connection.grantForRole(role);
  try {
    return { grantId, credentials: await connection.credentials(grantId).current() };
  } catch (error) {
    if (!isEnd(error)) throw error;
    // No other live grant: exit 3 naming this end (who ended it and why) and how to get another.
    const next = await connection.grantForRole(role, grantId);
    return { grantId: next, credentials: await connection.credentials(next).current() };
  }
};

const creds: CommandSpec<CliContext> = {
  name: 'creds',
  summary: 'Print credentials for your approved grant (for credential_process, eval or scripts)',
  usage: '<grant> | --role ROLE [--format env|json|process]',
  description: [
    'Credentials are cached (mode 0600 under $XDG_CACHE_HOME/jit) until 10 minutes before they expire, then',
    'vended again while the grant lasts — so a multi-hour grant works through one-hour STS sessions. A cached',
    'session is handed out only if the broker called the grant live less than 30 s ago (JIT_RECHECK_SECONDS',
    'lowers that); otherwise jit asks it first (one GET). Once the grant has ended, this fails with who ended it',
    'and why on stderr and exit 3; if the broker cannot be asked, it fails (exit 4 or 5) rather than hand out',
    'credentials it has not checked. Secrets never go to stderr.',
    'With --role instead of a grant, jit uses your live grant for that role (the one lasting longest), or',
    'exits 3 saying how to request one: the stable profiles of `jit setup-profile ROLE` use this.',
  ].join('\n'),
  options: { format: { type: 'string', short: 'f' }, role: { type: 'string' } },
  optionHelp: [
    ['-f, --format F', 'env: export lines (default); json: AccessKeyId… and GrantId; process: credential_process'],
    ['--role ROLE', 'use your live grant for ROLE instead of naming a grant'],
  ],
  examples: [
    'eval "$(jit creds g-01J…)"',
    'jit creds g-01J… --format json | jq -r .Expiration',
    'jit creds --role prod-read --format process',
    '# ~/.aws/config (jit setup-profile writes this for you):',
    '#   credential_process = /path/to/jit creds g-01J… --format process --api https://…',
  ],
  positionals: ['grant?'],
  json: true,
  async run(context, { values, positionals }) {
    const format = (values.json ? 'json' : ((values.format as string | undefined) ?? 'env')) as Format;
    if (!FORMATS.includes(format))
      throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got '${format}'`);
    const role = values.role as string | undefined;
    if ((positionals[0] === undefined) === (role === undefined)) {
      throw new UsageError('jit creds takes a grant id or --role ROLE (one of them; see jit creds --help)');
    }
    const connection = connect(context, signingFlags(values));
    if (role === undefined) {
      const grantId = positionals[0] as string;
      context.io.out(render(format, grantId, await connection.credentials(grantId).current()));
      return 0;
    }
    const { grantId, credentials } = await roleCredentials(connection, role);
    context.io.out(render(format, grantId, credentials));
    return 0;
  },
};

export { creds, signingFlags };
