import { formatDuration, parseDuration } from '../../functions/domain/duration.js';
import type { CommandSpec } from '../commandLine.js';
import type { CliContext } from '../context.js';
import { endReport, overAlready } from '../endReport.js';
import { UsageError } from '../errors.js';
import { printJson } from '../output.js';
import { grantAction } from './grantAction.js';

const reason = { reason: { type: 'string' } } as const;

const endNow = grantAction({
  name: 'done',
  summary: 'End your ACTIVE grant now; its live sessions stop working',
  usage: '<grant>',
  options: {},
  optionHelp: [],
  examples: ['jit done g-01J…'],
  act: async (connection, id) => {
    const grant = await connection.api.done(id);
    connection.forget(id);
    return grant;
  },
  report: endReport,
});

/** done, idempotent: a grant that is already over is a note, not a failure (scripts run it in cleanup). */
const done: CommandSpec<CliContext> = {
  ...endNow,
  description:
    'A grant that is already over (a second done, expired, revoked, cancelled) is a note on stderr and exit 0.',
  async run(context, parsed) {
    try {
      return await endNow.run(context, parsed);
    } catch (error) {
      const over = overAlready(error);
      if (over === undefined) throw error;
      if (parsed.values.json)
        printJson(context.io, { grantId: parsed.positionals[0], alreadyOver: true, message: over });
      else context.io.err(`note: nothing to end: ${over}`);
      return 0;
    }
  },
};

const revoke = grantAction({
  name: 'revoke',
  summary: "Security: end someone's APPROVED or ACTIVE grant now, saying why",
  usage: '<grant> --reason TEXT',
  options: reason,
  optionHelp: [['--reason TEXT', 'why (required; kept in the audit trail)']],
  examples: ['jit revoke g-01J… --reason "incident 42: access no longer needed"'],
  act: async (connection, id, values) => {
    if (!values.reason) throw new UsageError('jit revoke needs --reason: it goes into the audit trail');
    const grant = await connection.api.revoke(id, values.reason as string);
    connection.forget(id);
    return grant;
  },
  report: endReport,
});

const extend = grantAction({
  name: 'extend',
  summary: 'Ask for more time on your APPROVED or ACTIVE grant; approvers decide like a request',
  usage: '<grant> --for DURATION --reason TEXT',
  options: { for: { type: 'string' }, ...reason },
  optionHelp: [
    ['--for DURATION', 'how much more time: 30m, 2h, 1h30m (at least 15m)'],
    ['--reason TEXT', 'why (required)'],
  ],
  examples: ['jit extend g-01J… --for 1h --reason "the backfill is slower than planned"'],
  act: ({ api }, id, values) => {
    if (!values.for || !values.reason) throw new UsageError('jit extend needs --for and --reason');
    return api.extend(id, parseDuration(values.for as string), values.reason as string);
  },
  report: (g) =>
    g.extension
      ? `Asked for ${formatDuration(g.extension.durationSeconds)} more on ${g.id}; approvers see it in jit inbox`
      : `${g.id} is ${g.state}${g.expiresAt ? ` until ${g.expiresAt}` : ''}`,
});

export { done, extend, revoke };
