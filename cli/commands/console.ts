import { spawn } from 'node:child_process';
import { awsTarget } from '../aws/awsTarget.js';
import type { CommandSpec } from '../commandLine.js';
import { consoleSigninUrl } from '../console/federation.js';
import { type CliContext, connect } from '../context.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import { printJson } from '../output.js';

/**
 * Hands the URL to the desktop's browser without a shell (the URL is never parsed by one).
 * Resolves once the opener started; a missing opener is an error that never quotes the URL,
 * which signs in whoever holds it.
 */
const openInBrowser = (url: string): Promise<void> => {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]];
  return new Promise((started, failed) => {
    const child = spawn(command, args, { stdio: 'ignore', detached: true });
    child.once('spawn', () => {
      child.unref();
      started();
    });
    child.once('error', (error: NodeJS.ErrnoException) =>
      failed(
        new CliError(
          EXIT.unexpected,
          `cannot open a browser: ${command} ${error.code === 'ENOENT' ? 'is not installed' : `failed (${error.code ?? 'error'})`}; run without --open to print the sign-in URL`
        )
      )
    );
  });
};

/** The sandbox's keys work with its AWS emulator only, which has no console: say so instead of asking AWS. */
const SANDBOX_NOTE =
  'console sign-in needs real AWS: this sandbox vends keys for its AWS emulator, which has no console and which ' +
  "AWS's sign-in endpoint would refuse. Use the grant with jit exec or jit setup-profile here; against a deployed " +
  'broker (or npm start -- --aws) jit console signs you in.';

const consoleCommand: CommandSpec<CliContext> = {
  name: 'console',
  summary: 'Sign in to the AWS console with your grant (a federation sign-in URL)',
  usage: '<grant> [--open] [--destination URL] [--region REGION]',
  description: [
    "Exchanges the grant's session for a sign-in token at https://signin.aws.amazon.com/federation and builds",
    'the login URL. The URL signs in whoever opens it within 15 minutes: treat it like a password. The console',
    'session lasts as long as the credentials (at most one hour) and ends with the grant. With --region, the',
    "regional sign-in endpoint and that Region's console. In the sandbox (its AWS emulator has no console) it",
    'explains instead and exits 1.',
  ].join('\n'),
  options: {
    open: { type: 'boolean', short: 'o' },
    destination: { type: 'string' },
    'signin-region': { type: 'string' },
  },
  optionHelp: [
    ['-o, --open', 'open the URL in your browser instead of printing it'],
    ['--destination URL', 'the console page to land on (default https://console.aws.amazon.com/)'],
    ['--signin-region REGION', 'the same as --region (kept for older scripts)'],
  ],
  examples: [
    'jit console g-01J… --open',
    'jit console g-01J… --region eu-west-1 --destination "https://eu-west-1.console.aws.amazon.com/s3/buckets/example-bucket"',
    'jit console g-01J… --json | jq -r .url',
  ],
  positionals: ['grant'],
  json: true,
  async run(context, { values, positionals }) {
    const connection = connect(context, values);
    const target = await awsTarget(connection, values);
    if (target.endpoint !== undefined) throw new UsageError(SANDBOX_NOTE);
    const credentials = await connection.credentials(positionals[0]!).current();
    const region = (values['signin-region'] as string | undefined) ?? target.region;
    const url = await consoleSigninUrl(credentials, context.federation, {
      ...(region === undefined ? {} : { region }),
      ...(values.destination === undefined ? {} : { destination: values.destination as string }),
    });
    if (values.open) {
      await openInBrowser(url.href);
      if (values.json) printJson(context.io, { grantId: positionals[0], opened: true });
      context.io.err(`Opened the AWS console for ${positionals[0]} in your browser.`);
    } else {
      if (values.json) printJson(context.io, { grantId: positionals[0], url: url.href, validForSeconds: 900 });
      else context.io.out(url.href);
      context.io.err('This link signs in whoever opens it in the next 15 minutes; do not share it.');
    }
    return 0;
  },
};

export { consoleCommand };
