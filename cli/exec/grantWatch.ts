import { EXIT, exitCodeFor } from '../errors.js';

interface GrantWatchDeps {
  /** One look at the grant: resolves while it is live, rejects with exit 3 once it has ended. */
  readonly check: () => Promise<void>;
  readonly intervalMs: number;
  /** Called once, with who ended the grant and why; the watch stops. */
  readonly onEnd: (error: Error) => void;
  /** The broker could not be asked (called once per run of failures), or answers again. */
  readonly onTrouble: (error: Error) => void;
  readonly onRecovered: () => void;
}

/**
 * Looks at the grant every `intervalMs` while `jit exec` runs its command, so the end is noticed
 * (and said) even when the command asks for no credentials. One GET per interval.
 */
const watchGrant = (deps: GrantWatchDeps): { stop(): void } => {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let troubled = false;

  const look = async () => {
    try {
      await deps.check();
      if (troubled) deps.onRecovered();
      troubled = false;
    } catch (error) {
      if (stopped) return;
      if (exitCodeFor(error) === EXIT.grantClosed) {
        deps.onEnd(error as Error);
        return; // an end is final: look no more
      }
      if (!troubled) deps.onTrouble(error as Error);
      troubled = true;
    }
    if (!stopped) timer = setTimeout(look, deps.intervalMs);
  };

  timer = setTimeout(look, deps.intervalMs);
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
};

export type { GrantWatchDeps };
export { watchGrant };
