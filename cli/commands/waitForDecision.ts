import type { BrokerApi, GrantView } from '../api/brokerApi.js';
import { endOf } from '../credentials/grantLiveness.js';
import { CliError, EXIT, GrantClosedError } from '../errors.js';
import type { Io } from '../output.js';

const FIRST_POLL_MS = 1000;
/** At most this between polls, so an approval is noticed within 2 s (one GET per 2 s while waiting). */
const MAX_POLL_MS = 2000;
const BACKOFF = 1.5;
/** Progress is redrawn this often while waiting between polls, so the elapsed time keeps moving. */
const TICK_MS = 1000;
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

interface WaitDeps {
  readonly api: Pick<BrokerApi, 'show'>;
  readonly io: Io;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly signal: AbortSignal;
  /** Give up after this long (exit 6); undefined waits until the broker decides. */
  readonly timeoutMs?: number;
}

const elapsedText = (ms: number): string => {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
};

const statusOf = (grant: GrantView): string =>
  `${grant.state}, ${grant.approvals.length}/${grant.requiredApprovals} approvals from ${grant.approvers.join(', ')}`;

/**
 * Polls GET /grants/{id} with backoff until the grant is no longer PENDING. A spinner with the
 * elapsed time on a terminal; on a pipe or in CI, one plain line whenever something changes.
 */
const waitForDecision = async (grantId: string, deps: WaitDeps): Promise<GrantView> => {
  const started = deps.now().getTime();
  const elapsed = () => deps.now().getTime() - started;
  let delay = FIRST_POLL_MS;
  let lastStatus = '';
  let frame = 0;
  const draw = (status: string) => {
    if (deps.io.interactive) {
      frame = (frame + 1) % SPINNER.length;
      deps.io.progress(`${SPINNER[frame]} waiting for ${grantId} (${status}) ${elapsedText(elapsed())}`);
    } else if (status !== lastStatus) {
      deps.io.err(`waiting for ${grantId}: ${status}`);
    }
    lastStatus = status;
  };
  const clear = () => {
    if (deps.io.interactive) deps.io.progress('');
  };
  for (;;) {
    const grant = await deps.api.show(grantId);
    if (grant.state !== 'PENDING') {
      clear();
      if (grant.state === 'APPROVED' || grant.state === 'ACTIVE') return grant;
      throw new GrantClosedError(endOf(grant, deps.now()) ?? `grant ${grant.id} is ${grant.state}`);
    }
    draw(statusOf(grant));
    for (let waited = 0; waited < delay; waited += TICK_MS) {
      if (deps.signal.aborted) {
        clear();
        throw new CliError(
          EXIT.interrupted,
          `stopped waiting; ${grantId} is still PENDING (check it with: jit show ${grantId})`
        );
      }
      if (deps.timeoutMs !== undefined && elapsed() >= deps.timeoutMs) {
        clear();
        throw new CliError(
          EXIT.stillPending,
          `${grantId} is still PENDING after ${elapsedText(elapsed())}; check it with: jit show ${grantId}`
        );
      }
      await deps.sleep(Math.min(TICK_MS, delay - waited));
      draw(statusOf(grant));
    }
    delay = Math.min(MAX_POLL_MS, Math.round(delay * BACKOFF));
  }
};

export { waitForDecision };
