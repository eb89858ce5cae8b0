import type { VendedCredentials } from '../api/brokerApi.js';
import type { CommandSpec } from '../commandLine.js';
import { type CliContext, connect } from '../context.js';
import { UsageError } from '../errors.js';
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
      return JSON.stringify(
        {
          grantId,
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          sessionToken: c.SessionToken,
          expiration: c.Expiration,
        },
        null,
        2
      );
    case 'env':
      return asEnv(c);
  }
};

const creds: CommandSpec<CliContext> = {
  name: 'creds',
  summary: 'Print credentials for your approved grant (for credential_process, eval or scripts)',
  usage: '<grant> [--format env|json|process]',
  description: [
    'Credentials are cached (mode 0600 under $XDG_CACHE_HOME/jit) until 10 minutes before they expire, then',
    'vended again while the grant lasts — so a multi-hour grant works through one-hour STS sessions. A cached',
    'session is handed out only if the broker called the grant live less than 30 s ago (JIT_RECHECK_SECONDS',
    'lowers that); otherwise jit asks it first (one GET). Once the grant has ended, this fails with who ended it',
    'and why on stderr and exit 3; if the broker cannot be asked, it fails (exit 4 or 5) rather than hand out',
    'credentials it has not checked. Secrets never go to stderr.',
  ].join('\n'),
  options: { format: { type: 'string', short: 'f' } },
  optionHelp: [['-f, --format F', 'env: export lines (default); json: an object; process: credential_process output']],
  examples: [
    'eval "$(jit creds g-01J…)"',
    'jit creds g-01J… --format json | jq -r .expiration',
    '# ~/.aws/config (jit setup-profile writes this for you):',
    '#   credential_process = /path/to/jit creds g-01J… --format process --api https://…',
  ],
  positionals: ['grant'],
  json: true,
  async run(context, { values, positionals }) {
    const format = (values.json ? 'json' : ((values.format as string | undefined) ?? 'env')) as Format;
    if (!FORMATS.includes(format))
      throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got '${format}'`);
    const grantId = positionals[0]!;
    const credentials = await connect(context, values).credentials(grantId).current();
    context.io.out(render(format, grantId, credentials));
    return 0;
  },
};

export { creds };
