import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { awsConfigPath } from '../awsConfigFile.js';
import type { CommandSpec } from '../commandLine.js';
import { type CliContext, connect } from '../context.js';
import { refreshingEnvironment, staticEnvironment } from '../exec/childEnvironment.js';
import { type CredentialServer, startCredentialServer } from '../exec/credentialServer.js';

const readIfPresent = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** Runs the child to completion; its exit code, or 128 + the signal number like a shell. */
const runChild = (command: string, args: readonly string[], env: NodeJS.ProcessEnv, io: CliContext['io']) =>
  new Promise<number>((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env });
    // Ctrl-C reaches the child from the terminal; jit stays alive to serve credentials until it exits.
    const ignore = () => {};
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onTerm = forward('SIGTERM');
    const onHup = forward('SIGHUP');
    process.on('SIGINT', ignore);
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onHup);
    const done = (code: number) => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      resolve(code);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      io.err(`jit: cannot run ${command}: ${error.code === 'ENOENT' ? 'no such command' : error.message}`);
      done(127);
    });
    child.once('exit', (code, signal) => done(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });

const exec: CommandSpec<CliContext> = {
  name: 'exec',
  summary: "Run a command with your grant's credentials, refreshed while it runs",
  usage: '<grant> [--static] -- <command> [args…]',
  description: [
    'The command finds credentials at a loopback endpoint jit serves for as long as it runs',
    '(AWS_CONTAINER_CREDENTIALS_FULL_URI + a random AWS_CONTAINER_AUTHORIZATION_TOKEN, as on ECS). The AWS',
    'CLI and SDKs fetch again before the credentials expire, and jit vends a new session while the grant',
    'lasts — so a long command keeps working past one-hour sessions. Other credential variables and the',
    "shared credentials file are hidden from the command. jit exits with the command's exit code.",
  ].join('\n'),
  options: { static: { type: 'boolean' } },
  optionHelp: [['--static', 'put fixed credentials in AWS_ACCESS_KEY_ID etc. instead (not refreshed)']],
  examples: [
    'jit exec g-01J… -- aws s3 cp s3://example-bucket/report.csv .',
    'jit exec g-01J… -- terraform plan',
    'jit exec g-01J… --static -- ./legacy-script-that-reads-env.sh',
  ],
  positionals: ['grant'],
  passThrough: true,
  async run(context, { values, positionals, rest }) {
    const grantId = positionals[0]!;
    const current = connect(context, values).credentials(grantId);
    // Fail before starting anything when the grant cannot give credentials.
    const first = await current();
    const [command, ...args] = rest as [string, ...string[]];
    if (values.static) return runChild(command, args, staticEnvironment(context.env, grantId, first), context.io);

    const server: CredentialServer = await startCredentialServer(current, (error) =>
      context.io.err(`jit: cannot refresh credentials for ${grantId}: ${error.message}`)
    );
    try {
      const { env, note } = refreshingEnvironment(
        context.env,
        grantId,
        server,
        readIfPresent(awsConfigPath(context.env))
      );
      if (note) context.io.err(`jit: ${note}`);
      return await runChild(command, args, env, context.io);
    } finally {
      await server.close();
    }
  },
};

export { exec };
