import { formatDuration, parseDuration } from '../../functions/domain/duration.js';
import type { GrantRequest } from '../../functions/domain/grant.js';
import type { BrokerApi, GrantView, RequestedGrant } from '../api/brokerApi.js';
import { awsCommand, awsTarget } from '../aws/awsTarget.js';
import type { CommandSpec, OptionValues } from '../commandLine.js';
import { type CliContext, type Connection, connect } from '../context.js';
import { ApiError, CliError, EXIT, UsageError } from '../errors.js';
import { RUN_OPTION_HELP, RUN_OPTIONS, runWithGrant } from '../exec/runWithGrant.js';
import { localTime, nextSteps, printJson, typedConnectionFlags } from '../output.js';
import { loadTemplate, type TaskTemplate, templatesPath } from './taskTemplates.js';
import { waitForDecision } from './waitForDecision.js';

/** Flags win over the template; repeated --action/--resource replace the template's lists. */
const buildRequest = (
  role: string | undefined,
  values: OptionValues,
  template: TaskTemplate | undefined
): GrantRequest => {
  const actions = (values.action as string[] | undefined) ?? template?.actions ?? [];
  const resources = (values.resource as string[] | undefined) ?? template?.resources ?? [];
  const chosen = {
    role: role ?? template?.role,
    for: (values.for as string | undefined) ?? template?.for,
    reason: (values.reason as string | undefined) ?? template?.reason,
    ticket: (values.ticket as string | undefined) ?? template?.ticket,
  };
  const missing = [
    chosen.role ? undefined : '<role>',
    actions.length > 0 ? undefined : '--action',
    resources.length > 0 ? undefined : '--resource',
    chosen.for ? undefined : '--for',
    chosen.reason ? undefined : '--reason',
  ].filter((m) => m !== undefined);
  if (missing.length > 0) {
    throw new UsageError(
      `jit request needs ${missing.join(', ')} (or a --template that has them; see jit request --help)`
    );
  }
  return {
    role: chosen.role!,
    scope: { actions, resources },
    durationSeconds: parseDuration(chosen.for!),
    reason: chosen.reason!,
    ...(chosen.ticket ? { ticket: chosen.ticket } : {}),
    ...(values['break-glass'] ? { breakGlass: true } : {}),
  };
};

/** The waits that end with the request still PENDING: --timeout ran out, or Ctrl-C. */
const isStillPending = (error: unknown): boolean =>
  error instanceof CliError && (error.exitCode === EXIT.stillPending || error.exitCode === EXIT.interrupted);

const when = (iso: string | undefined): string => (iso === undefined ? 'its approval' : localTime(iso));

const describe = (grant: GrantView): string =>
  grant.breakGlass
    ? `BREAK-GLASS ${grant.id}: ${grant.roleId} is ${grant.state} until ${when(grant.expiresAt)}; security has been alerted and will review it`
    : grant.state === 'PENDING'
      ? `Requested ${grant.id}: ${grant.roleId} for ${formatDuration(grant.durationSeconds)}, PENDING — needs ${grant.requiredApprovals} approval(s) from ${grant.approvers.join(', ')} before ${when(grant.pendingUntil)}`
      : `${grant.id} is ${grant.state} (${grant.roleId}, until ${when(grant.expiresAt)})`;

/** Waits for a pending grant's decision, progress on stderr (`--wait`, and `--exec`). */
const decisionOf = (context: CliContext, api: BrokerApi, grant: GrantView, values: OptionValues) => {
  const timeoutMs = values.timeout === undefined ? undefined : parseDuration(values.timeout as string) * 1000;
  return waitForDecision(grant.id, {
    api,
    io: context.io,
    now: context.now,
    sleep: context.sleep,
    signal: context.interrupted(),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
};

/**
 * `--exec`: the request asks for credentials too, so a grant approved at once comes with its first
 * session and the command starts with no second call to the broker. A pending one is waited for;
 * a grant without credentials (pending, or its vend failed: the answer says why) vends as
 * `jit exec` does. Then the command runs exactly as under `jit exec <grant>`. stdout is the
 * command's: what jit says goes to stderr.
 */
const requestAndRun = async (
  context: CliContext,
  connection: Connection,
  body: GrantRequest,
  parsed: { values: OptionValues; rest: readonly string[] }
): Promise<number> => {
  const askedAt = context.now();
  const answer: RequestedGrant = await connection.api.requestWithCredentials(body).catch((error: unknown) => {
    // A broker from before the one-call request refuses the query before it writes anything.
    if (!(error instanceof ApiError && error.code === 'UNKNOWN_FIELD' && error.message.includes('credentials'))) {
      throw error;
    }
    context.io.err('jit: this broker does not answer a request with credentials yet; requesting, then vending');
    return connection.api.request(body);
  });
  const { credentials: issued, credentialsError, ...grant } = answer;
  context.io.err(describe(grant));
  if (grant.state === 'PENDING') await decisionOf(context, connection.api, grant, parsed.values);
  const credentials = connection.credentials(grant.id);
  if (issued !== undefined) credentials.remember(issued, askedAt);
  if (credentialsError !== undefined) {
    context.io.err(
      `jit: ${grant.id} was approved without its credentials (${credentialsError.code}: ${credentialsError.message}); asking the broker for them`
    );
  }
  return runWithGrant(context, connection, grant.id, parsed, credentials);
};

const request: CommandSpec<CliContext> = {
  name: 'request',
  summary: 'Ask for access to a role for a task; --wait until it is approved, or --exec a command with it',
  usage:
    '[<role>] --action A… --resource ARN… --for DURATION --reason TEXT [--ticket T] [--wait] [--break-glass]\n' +
    '       [--exec [--static] [--kill-on-end [--kill-grace DURATION]] [-- <command> [args…]]]',
  description: [
    'The grant is narrowed to the actions and resources you name. Time counts from approval. With --wait, jit',
    'polls (every 2 s at most) until the grant is approved (exit 0), denied or expired (exit 3, with who denied',
    'it and why), or --timeout passes (exit 6; with --json the pending grant is still printed).',
    'Policies may approve a request at once; a refusal says which policy refused and why (exit 2).',
    'With --break-glass (only where a policy allows it, e.g. on-call) the grant is active at once, short,',
    'announced to security, and reviewed by security afterwards.',
    '',
    "With --exec, jit then runs the command after -- (your $SHELL without one) with the grant's credentials",
    'exactly as `jit exec <grant>` does (see jit exec --help), waiting first like --wait if the request is',
    'pending. A request approved at once is answered with its first credentials, so the command starts with',
    "no second call to the broker. jit exits with the command's exit code; its own lines go to stderr.",
  ].join('\n'),
  options: {
    action: { type: 'string', multiple: true },
    resource: { type: 'string', multiple: true },
    for: { type: 'string' },
    reason: { type: 'string' },
    ticket: { type: 'string' },
    template: { type: 'string', short: 't' },
    templates: { type: 'string' },
    wait: { type: 'boolean', short: 'w' },
    timeout: { type: 'string' },
    'break-glass': { type: 'boolean' },
    exec: { type: 'boolean' },
    ...RUN_OPTIONS,
  },
  optionHelp: [
    ['--action A', 'an IAM action the task needs (repeat for more)'],
    ['--resource ARN', 'a resource ARN, wildcards allowed (repeat for more)'],
    ['--for DURATION', 'how long, counted from approval: 30m, 2h, 1h30m (at least 15m)'],
    ['--reason TEXT', 'why (at least 10 characters; approvers read it)'],
    ['--ticket T', 'a ticket id, e.g. INC-1234'],
    ['-t, --template NAME', 'start from a named task in the templates file; flags override it'],
    ['--templates FILE', 'the templates file (default $XDG_CONFIG_HOME/jit/templates.json)'],
    ['-w, --wait', 'wait for the decision, showing progress on stderr'],
    ['--timeout DURATION', 'with --wait or --exec: give up waiting after this long (exit 6; the request stays)'],
    ['--break-glass', 'emergency: no approval, short, alerted and reviewed afterwards (policy decides who)'],
    ['--exec', 'then run the command after -- (or your shell) with the grant, as jit exec does'],
    ...RUN_OPTION_HELP.map(([flag, help]) => [flag, `with --exec: ${help}`] as const),
  ],
  examples: [
    'jit request prod-read --action s3:GetObject --resource "arn:aws:s3:::example-bucket/*" --for 30m \\\n      --reason "debug the nightly export job" --ticket INC-1234 --wait',
    'jit request --template debug-export --reason "re-run the export for 2026-11-20" --wait',
    'ID=$(jit request prod-read … --json | jq -r .id)',
    'jit request --template debug-export --reason "re-run the export for 2026-11-20" --exec -- \\\n      aws s3 cp s3://example-bucket/report.csv .',
    'jit request prod-admin --action ec2:RebootInstances --resource "*" --for 30m --ticket INC-981 \\\n      --reason "prod outage, db host hung" --break-glass',
  ],
  positionals: ['role?'],
  passThrough: true,
  json: true,
  async run(context, { values, positionals, rest }) {
    const template =
      values.template === undefined
        ? undefined
        : loadTemplate(
            values.template as string,
            (values.templates as string | undefined) ?? templatesPath(context.env)
          );
    if (values.exec && values.json) {
      throw new UsageError(
        "jit request --exec gives stdout to the command: drop --json (jit's own lines go to stderr)"
      );
    }
    const execOnly = Object.keys(RUN_OPTIONS).filter((flag) => values[flag] !== undefined);
    if (!values.exec && (rest.length > 0 || execOnly.length > 0)) {
      throw new UsageError(
        `${rest.length > 0 ? 'a command after --' : execOnly.map((f) => `--${f}`).join(', ')} needs --exec: jit request … --exec${rest.length > 0 ? ` -- ${rest.join(' ')}` : ''}`
      );
    }
    const body = buildRequest(positionals[0], values, template);
    const connection = connect(context, values);
    if (values.exec) return requestAndRun(context, connection, body, { values, rest });
    const { api } = connection;
    let grant = await api.request(body);
    if (values.wait && grant.state === 'PENDING') {
      context.io.err(describe(grant));
      const requested = grant;
      grant = await decisionOf(context, api, grant, values).catch((error: unknown) => {
        // A script that stops waiting still needs the grant's id: the request stays.
        if (values.json && isStillPending(error)) printJson(context.io, requested);
        throw error;
      });
    }
    if (values.json) {
      printJson(context.io, grant);
      return 0;
    }
    context.io.out(describe(grant));
    if (grant.state === 'PENDING') {
      context.io.out(`Wait for it: jit show ${grant.id}${typedConnectionFlags(values)}`);
      return 0;
    }
    const target = await awsTarget(connection, {});
    context.io.out(
      nextSteps(
        grant,
        typedConnectionFlags(values),
        (args) => awsCommand({ ...(target.endpoint === undefined ? {} : { endpoint: target.endpoint }) }, args),
        connection.config.mode === 'sandbox'
      )
    );
    return 0;
  },
};

export { buildRequest, request };
