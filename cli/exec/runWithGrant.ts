import { parseDuration } from '../../functions/domain/duration.js';
import { awsTarget, targetVariables } from '../aws/awsTarget.js';
import { awsConfigPath, readAwsConfig } from '../awsConfigFile.js';
import type { OptionSpecs, OptionValues } from '../commandLine.js';
import type { CliContext, Connection } from '../context.js';
import type { GrantCredentials } from '../credentials/credentialSource.js';
import { EXIT, exitCodeFor } from '../errors.js';
import { refreshingEnvironment, staticEnvironment } from './childEnvironment.js';
import { type RunningChild, startChild } from './childProcess.js';
import { type CredentialServer, startCredentialServer } from './credentialServer.js';
import { watchGrant } from './grantWatch.js';

/** SIGTERM, then this long before SIGKILL, unless --kill-grace says otherwise (docker stop's default). */
const DEFAULT_KILL_GRACE = '10s';
/** The watch never polls faster than this, even with JIT_RECHECK_SECONDS=0. */
const MIN_WATCH_INTERVAL_MS = 1000;

/** How a command runs with a grant: `jit exec`'s options, which `jit request --exec` takes too. */
const RUN_OPTIONS: OptionSpecs = {
  static: { type: 'boolean' },
  'kill-on-end': { type: 'boolean' },
  'kill-grace': { type: 'string' },
};

const RUN_OPTION_HELP: readonly (readonly [string, string])[] = [
  ['--static', 'put fixed credentials in AWS_ACCESS_KEY_ID etc. instead (not refreshed)'],
  ['--kill-on-end', 'stop the command when the grant ends (done, revoke, expiry); jit then exits 3'],
  ['--kill-grace DURATION', `time between SIGTERM and SIGKILL with --kill-on-end (default ${DEFAULT_KILL_GRACE})`],
];

/** The user's shell when no command is given. */
const shellOf = (env: NodeJS.ProcessEnv): string => env.SHELL || '/bin/sh';

/**
 * Runs `rest` (or the user's shell) with the grant's credentials, as `jit exec` does: served from a
 * loopback endpoint and refreshed while the grant lasts (or fixed in the environment with
 * --static), the grant watched, and its end said on stderr (and, with --kill-on-end, the command
 * stopped: exit 3). Answers the command's exit code. `credentials` may already hold a session (the
 * one a request was answered with): it is handed out first, with no call to the broker.
 */
const runWithGrant = async (
  context: CliContext,
  connection: Connection,
  grantId: string,
  { values, rest }: { values: OptionValues; rest: readonly string[] },
  credentials: GrantCredentials = connection.credentials(grantId)
): Promise<number> => {
  const killGraceMs = parseDuration((values['kill-grace'] as string | undefined) ?? DEFAULT_KILL_GRACE) * 1000;
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
};

export { DEFAULT_KILL_GRACE, RUN_OPTION_HELP, RUN_OPTIONS, runWithGrant };
