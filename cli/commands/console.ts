import { spawn } from 'node:child_process';
import type { CommandSpec } from '../commandLine.js';
import { consoleSigninUrl } from '../console/federation.js';
import { type CliContext, connect } from '../context.js';

/** Hands the URL to the desktop's browser without a shell (the URL is never parsed by one). */
const openInBrowser = (url: string): void => {
  const [command, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['rundll32', ['url.dll,FileProtocolHandler', url]]
        : ['xdg-open', [url]];
  spawn(command, args, { stdio: 'ignore', detached: true }).unref();
};

const consoleCommand: CommandSpec<CliContext> = {
  name: 'console',
  summary: 'Sign in to the AWS console with your grant (a federation sign-in URL)',
  usage: '<grant> [--open] [--destination URL] [--signin-region REGION]',
  description: [
    "Exchanges the grant's session for a sign-in token at https://signin.aws.amazon.com/federation and builds",
    'the login URL. The URL signs in whoever opens it within 15 minutes: treat it like a password. The console',
    'session lasts as long as the credentials (at most one hour) and ends with the grant.',
  ].join('\n'),
  options: {
    open: { type: 'boolean', short: 'o' },
    destination: { type: 'string' },
    'signin-region': { type: 'string' },
  },
  optionHelp: [
    ['-o, --open', 'open the URL in your browser instead of printing it'],
    ['--destination URL', 'the console page to land on (default https://console.aws.amazon.com/)'],
    ['--signin-region REGION', 'use the regional sign-in endpoint and console of REGION'],
  ],
  examples: [
    'jit console g-01J… --open',
    'jit console g-01J… --destination "https://console.aws.amazon.com/s3/buckets/example-bucket"',
  ],
  positionals: ['grant'],
  async run(context, { values, positionals }) {
    const credentials = await connect(context, values).credentials(positionals[0]!).current();
    const url = await consoleSigninUrl(credentials, context.federation, {
      ...(values['signin-region'] === undefined ? {} : { region: values['signin-region'] as string }),
      ...(values.destination === undefined ? {} : { destination: values.destination as string }),
    });
    if (values.open) {
      openInBrowser(url.href);
      context.io.err(`Opened the AWS console for ${positionals[0]} in your browser.`);
    } else {
      context.io.out(url.href);
      context.io.err('This link signs in whoever opens it in the next 15 minutes; do not share it.');
    }
    return 0;
  },
};

export { consoleCommand };
