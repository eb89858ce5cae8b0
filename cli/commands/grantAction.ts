import type { GrantView } from '../api/brokerApi.js';
import type { CommandSpec, OptionValues } from '../commandLine.js';
import { type CliContext, type Connection, connect } from '../context.js';
import { printJson } from '../output.js';

type Command = CommandSpec<CliContext>;

interface GrantActionSpec extends Omit<Command, 'run' | 'positionals' | 'json'> {
  /** Calls the API; throws UsageError for a missing required flag before anything is sent. */
  readonly act: (connection: Connection, grantId: string, values: OptionValues) => Promise<GrantView>;
  /** The line printed after it worked. */
  readonly report: (grant: GrantView) => string;
}

/** A command that changes one grant and prints it: approve, deny, cancel, done, revoke, extend. */
const grantAction = (spec: GrantActionSpec): Command => {
  const { act, report, ...help } = spec;
  return {
    ...help,
    positionals: ['grant'],
    json: true,
    async run(context, { values, positionals }) {
      const grant = await act(connect(context, values), positionals[0]!, values);
      if (values.json) printJson(context.io, grant);
      else context.io.out(report(grant));
      return 0;
    },
  };
};

export { grantAction };
