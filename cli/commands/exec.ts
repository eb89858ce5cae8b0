import { parseDuration } from '../../functions/domain/duration.js';
import { awsTarget, targetVariables } from '../aws/awsTarget.js';
import { awsConfigPath, readAwsConfig } from '../awsConfigFile.js';
import type { CommandSpec } from '../commandLine.js';
import { type CliContext, connect } from '../context.js';
import { EXIT, exitCodeFor } from '../errors.js';
import { refreshingEnvironment, staticEnvironment } from '../exec/childEnvironment.js';
import { type RunningChild, startChild } from '../exec/childProcess.js';
import { type CredentialServer, startCredentialServer } from '../exec/credentialServer.js';
import { watchGrant } from '../exec/grantWatch.js';

/** SIGTERM, then this long before SIGKILL, unless --kill-grace says otherwise (docker stop's default). */
const DEFAULT_KILL_GRACE = '10s';
/** The watch never polls faster than this, even with JIT_RECHECK_SECONDS=0. */
const MIN_WATCH_INTERVAL_MS = 1000;

/** The user's shell for `jit exec <grant>` with no command. */
const shellOf = (env: NodeJS.ProcessEnv): string => env.SHELL || '/bin/sh';

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
  options: {
    static: { type: 'boolean' },
    'kill-on-end': { type: 'boolean' },
    'kill-grace': { type: 'string' },
  },
  optionHelp: [
    ['--static', 'put fixed credentials in AWS_ACCESS_KEY_ID etc. instead (not refreshed)'],
    ['--kill-on-end', 'stop the command when the grant ends (done, revoke, expiry); jit then exits 3'],
    ['--kill-grace DURATION', `time between SIGTERM and SIGKILL with --kill-on-end (default ${DEFAULT_KILL_GRACE})`],
  ],
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
    const grantId = positionals[0]!;
    const killGraceMs = parseDuration((values['kill-grace'] as string | undefined) ?? DEFAULT_KILL_GRACE) * 1000;
    const connection = connect(context, values);
    const credentials = connection.credentials(grantId);
    // Fail before starting anything when the grant cannot give credentials.
    const first = await credentials.current();
    const target = await awsTarget(connection, values);
    const parentGrant = context.env.JIT_GRANT_ID;
    if (parentGrant) {
      context.io.err(`jit: already inside jit exec for ${parentGrant}; this one uses ${grantId} until it exits`);
    }
    const [command, ...args] = rest.length > 0 ? rest : [shellOf(context.env)];
    if (rest.length === 0) {
      context.io.err(`jit: starting ${command} with grant ${grantId} (JIT_GRANT_ID); exit the shell to stop`);
    }

    let stoppedForEnd = false;
    let child: RunningChild | undefined;
    let endSaid = false;
    const onEnd = (error: Error) => {
      if (endSaid) return;
      endSaid = true;
      context.io.err(`jit: ${error.message}`);
      if (values['kill-on-end']) {
        context.io.err('jit: stopping the command (--kill-on-end)');
        stoppedForEnd = child?.terminate(killGraceMs) ?? false;
      } else {
        const already = values.static
          ? 'the fixed credentials in its environment (--static)'
          : "the command's next credential request fails; credentials it already holds";
        context.io.err(`jit: ${already} stop working once the broker's session kill takes hold in AWS`);
      }
    };

    let server: CredentialServer | undefined;
    let watch: { stop(): void } | undefined;
    try {
      let env: NodeJS.ProcessEnv;
      if (values.static) {
        env = staticEnvironment(context.env, grantId, first);
      } else {
        server = await startCredentialServer(
          () => credentials.current(),
          (error) =>
            exitCodeFor(error) === EXIT.grantClosed
              ? onEnd(error)
              : context.io.err(`jit: cannot hand out credentials for ${grantId}: ${error.message}`)
        );
        const prepared = refreshingEnvironment(context.env, grantId, server, readAwsConfig(awsConfigPath(context.env)));
        if (prepared.note) context.io.err(`jit: ${prepared.note}`);
        env = prepared.env;
      }
      child = startChild(command as string, args, { ...env, ...targetVariables(target) }, context.io);
      watch = watchGrant({
        check: () => credentials.confirmLive(),
        intervalMs: Math.max(MIN_WATCH_INTERVAL_MS, connection.recheckAfterMs),
        onEnd,
        onTrouble: (error) => context.io.err(`jit: ${error.message}`),
        onRecovered: () => context.io.err(`jit: the broker answers again; grant ${grantId} is still live`),
      });
      const code = await child.exited;
      return stoppedForEnd ? EXIT.grantClosed : code;
    } finally {
      watch?.stop();
      await server?.close();
    }
  },
};

export { exec };
