import type { CommandSpec } from '../commandLine.js';
import { type CliContext, connect } from '../context.js';
import { RUN_OPTION_HELP, RUN_OPTIONS, runWithGrant } from '../exec/runWithGrant.js';

const exec: CommandSpec<CliContext> = {
  name: 'exec',
  summary: "Run a command with your grant's credentials, refreshed while it runs",
  usage: '<grant> [--region R] [--static] [--kill-on-end [--kill-grace DURATION]] [-- <command> [args…]]',
  description: [
    'The command finds credentials at a loopback endpoint jit serves for as long as it runs',
    '(AWS_CONTAINER_CREDENTIALS_FULL_URI + a random AWS_CONTAINER_AUTHORIZATION_TOKEN, as on ECS). The AWS',
    'CLI and SDKs fetch again before the credentials expire, and jit vends a new session while the grant',
    'lasts — so a long command keeps working past one-hour sessions. Other credential variables and the',
    "shared credentials file are hidden from the command. jit exits with the command's exit code.",
    '',
    'jit watches the grant while the command runs (every JIT_RECHECK_SECONDS, default 30 s). When it ends,',
    'jit says on stderr who ended it and why, and every later credential request from the command fails',
    'with that reason. With --kill-on-end it also stops the command (SIGTERM, then SIGKILL after the grace',
    'period) and exits 3.',
    '',
    'The command also gets JIT_GRANT_ID and, with --region, AWS_REGION and AWS_DEFAULT_REGION. Against the',
    "sandbox it gets the emulator's endpoint (AWS_ENDPOINT_URL, read by AWS CLI >= 2.13 and current SDKs) and",
    'Region, so it reaches the emulator the keys work with. With no command, jit starts your $SHELL so marked;',
    'exit the shell to stop. jit warns when it runs inside another jit exec (JIT_GRANT_ID already set).',
  ].join('\n'),
  options: RUN_OPTIONS,
  optionHelp: RUN_OPTION_HELP,
  examples: [
    'jit exec g-01J… -- aws s3 cp s3://example-bucket/report.csv .',
    'jit exec g-01J… --region eu-west-1 -- terraform plan',
    'jit exec g-01J…   # a shell with the grant; exit to leave',
    'jit exec g-01J… --kill-on-end --kill-grace 30s -- ./long-migration.sh',
    'jit exec g-01J… --static -- ./legacy-script-that-reads-env.sh',
  ],
  positionals: ['grant'],
  passThrough: true,
  async run(context, { values, positionals, rest }) {
    return runWithGrant(context, connect(context, values), positionals[0]!, { values, rest });
  },
};

export { exec };
