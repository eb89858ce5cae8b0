import { ValidationError } from '../domain/errors.js';
import type { Clock } from '../ports.js';

const tooSlow = (read: number) =>
  new ValidationError(
    'REPORT_TOO_SLOW',
    `the report read ${read} grants of the period before its time ran out; shorten from/to (docs/reports.md)`
  );

/**
 * When a report must stop reading (epoch ms; unset: never), kept two ways: `check` before each
 * batch of CPU work, and `within` around each read — a page, a batch of histories, the denials —
 * which is raced against a timer, because a slow or far-reaching read is as likely as the CPU to
 * carry a report past its time (paging through newer grants to reach a period in the past, say).
 * `read` is how many grants of the period were read, for the message.
 */
const reportDeadline = (clock: Clock, stopAt: number | undefined, read: () => number) => ({
  check(): void {
    if (stopAt !== undefined && clock.now().getTime() >= stopAt) throw tooSlow(read());
  },
  async within<T>(work: Promise<T>): Promise<T> {
    if (stopAt === undefined) return work;
    // A read that loses the race still ends; its failure then has nobody to tell.
    work.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(tooSlow(read())), Math.max(0, stopAt - clock.now().getTime()));
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  },
});

type ReportDeadline = ReturnType<typeof reportDeadline>;

export type { ReportDeadline };
export { reportDeadline };
