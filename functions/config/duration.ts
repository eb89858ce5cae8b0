import { z } from 'zod';
import { formatDuration, parseDuration } from '../domain/duration.js';

/** An operator-friendly duration (`30m`, `1h`) in a configuration file, as seconds within [min, max]. */
const duration = (min: number, max: number) =>
  z.string().transform((text, ctx) => {
    let seconds: number;
    try {
      seconds = parseDuration(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
    if (seconds < min || seconds > max) {
      ctx.addIssue({
        code: 'custom',
        message: `'${text}' is out of range: use ${formatDuration(min)} to ${formatDuration(max)}`,
      });
      return z.NEVER;
    }
    return seconds;
  });

export { duration };
