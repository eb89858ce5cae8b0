import { displaySafe } from '../../functions/domain/untrustedText.js';
import { auditVerdict } from '../auditVerdict.js';
import type { CommandSpec } from '../commandLine.js';
import { type CliContext, connect } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { activityLines, grantDetails, grantTable, localTime, printJson, relative } from '../output.js';

type Command = CommandSpec<CliContext>;

const parseLimit = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    throw new UsageError(`--limit must be 1-100, got '${text}'`);
  return limit;
};

const pageOptions = {
  limit: { type: 'string' },
  cursor: { type: 'string' },
} as const;
const pageHelp = [
  ['--limit N', 'at most N grants (1-100, default 25)'],
  ['--cursor C', 'the next page (the cursor the previous page printed)'],
] as const;

/** Which grants a listing shows: yours, the ones you may approve, or the break-glass grants awaiting review. */
type Listing = 'list' | 'inbox' | 'reviews';
const EMPTY: Record<Listing, string> = {
  list: 'No grants.',
  inbox: 'Nothing waiting for you.',
  reviews: 'No break-glass grant awaits review.',
};

const listing = (name: Listing, summary: string, examples: string[]): Command => ({
  name,
  summary,
  usage: '[--limit N] [--cursor C] [--json]',
  options: pageOptions,
  optionHelp: pageHelp,
  examples,
  positionals: [],
  json: true,
  async run(context, { values }) {
    const { api } = connect(context, values);
    const limit = parseLimit(values.limit as string | undefined);
    const page = await api.list({
      inbox: name === 'inbox',
      reviews: name === 'reviews',
      ...(limit === undefined ? {} : { limit }),
      ...(values.cursor === undefined ? {} : { cursor: values.cursor as string }),
    });
    if (values.json) {
      printJson(context.io, page);
      return 0;
    }
    context.io.out(page.grants.length === 0 ? EMPTY[name] : grantTable(page.grants, context.now()));
    if (page.nextCursor) context.io.out(`more: jit ${name} --cursor ${page.nextCursor}`);
    return 0;
  },
});

const list = listing('list', 'List your grants, newest first', ['jit list', 'jit list --json | jq -r ".grants[].id"']);
const inbox = listing('inbox', 'List pending grants you may approve, earliest deadline first', [
  'jit inbox',
  'jit inbox --json',
]);
const reviews = listing('reviews', 'Security: list break-glass grants whose after-the-fact review is still open', [
  'jit reviews',
  'jit reviews --json | jq -r ".grants[].id"',
]);

const show: Command = {
  name: 'show',
  summary: 'Show one grant: scope, approvals, expiry',
  usage: '<grant> [--json]',
  options: {},
  optionHelp: [],
  examples: ['jit show g-01J…', 'jit show g-01J… --json | jq .state'],
  positionals: ['grant'],
  json: true,
  async run(context, { values, positionals }) {
    const grant = await connect(context, values).api.show(positionals[0]!);
    if (values.json) printJson(context.io, grant);
    else context.io.out(grantDetails(grant, context.now()));
    return 0;
  },
};

const audit: Command = {
  name: 'audit',
  summary: "Show a grant's audit trail, whether its signed chain and kill record are intact, and what its sessions did",
  usage: '<grant> [--archive] [--cloudtrail] [--json]',
  options: { cloudtrail: { type: 'boolean' }, archive: { type: 'boolean' } },
  optionHelp: [
    ['--archive', 'also compare the table with the audit archive (Object Lock); security may audit a deleted grant'],
    ['--cloudtrail', "also look the grant's access keys up in CloudTrail Event history (slow: 2 requests/s)"],
  ],
  examples: [
    'jit audit g-01J…',
    'jit audit g-01J… --archive',
    'jit audit g-01J… --cloudtrail',
    'jit audit g-01J… --json | jq ".events[].type"',
    'jit audit g-01J… --json | jq ".activity.afterEnd"',
  ],
  positionals: ['grant'],
  json: true,
  async run(context, { values, positionals }) {
    const trail = await connect(context, values).api.audit(positionals[0]!, {
      cloudTrail: values.cloudtrail === true,
      archive: values.archive === true,
    });
    const verdict = auditVerdict(trail);
    if (values.json) {
      printJson(context.io, trail);
      return verdict.intact ? EXIT.ok : EXIT.chainBroken;
    }
    const now = context.now();
    context.io.out(displaySafe(`${trail.grantId}  ${trail.state}  ${verdict.headline}`));
    for (const line of verdict.details) context.io.out(displaySafe(line));
    for (const event of trail.events) {
      const states = event.fromState ? `${event.fromState} → ${event.toState}` : event.toState;
      // A deny's comment, a revoke's reason: what the requester most needs to read.
      const said = event.details.comment ?? event.details.reason;
      context.io.out(
        displaySafe(
          `  #${event.seq} ${localTime(event.at)} (${relative(event.at, now)})  ${event.type}  by ${event.actor}  ${states}${typeof said === 'string' && said !== '' ? `: ${said}` : ''}`
        )
      );
    }
    if (trail.activity) context.io.out(activityLines('activity (recorded)', trail.activity));
    if (trail.cloudTrail) context.io.out(activityLines('activity (CloudTrail Event history)', trail.cloudTrail));
    // A broken chain, a kill record or an archive that disagrees is evidence of tampering: not success.
    return verdict.intact ? EXIT.ok : EXIT.chainBroken;
  },
};

export { audit, inbox, list, reviews, show };
