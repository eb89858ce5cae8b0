/** Time as a pacer sees it: injected in tests, so pacing is checked by counting, never by waiting. */
interface PacerTime {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realTime: PacerTime = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * A token bucket: at most `perSecond` calls per second on average, bursts up to `burst`. `take()`
 * resolves when a call may go. Callers queue in order (each reserves the next free slot).
 */
const tokenBucket = (perSecond: number, burst: number, time: PacerTime = realTime) => {
  const interval = 1000 / perSecond;
  // The moment the bucket was last empty-equivalent: tokens = (now - emptyAt) / interval, capped at burst.
  let emptyAt = time.now() - burst * interval;
  return {
    async take(): Promise<void> {
      const now = time.now();
      emptyAt = Math.max(emptyAt, now - burst * interval) + interval;
      const wait = emptyAt - now;
      if (wait > 0) await time.sleep(wait);
    },
  };
};

type TokenBucket = ReturnType<typeof tokenBucket>;

export type { PacerTime, TokenBucket };
export { realTime, tokenBucket };
