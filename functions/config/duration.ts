import * as z from 'zod/mini';
import { formatDuration, parseDuration } from '../domain/duration.js';
import './zodMessages.js';

/** An operator-friendly duration (`30m`, `1h`) in a configuration file, as seconds within [min, max]. */
const duration = (min: number, max: number) =>
  z.pipe(
    z.string(),
    z.transform((text: string, ctx) => {
      let seconds: number;
      try {
        seconds = parseDuration(text);
      } catch (error) {
        ctx.issues.push({ code: 'custom', message: (error as Error).message, input: text });
        return z.NEVER;
      }
      if (seconds < min || seconds > max) {
        ctx.issues.push({
          code: 'custom',
          message: `'${text}' is out of range: use ${formatDuration(min)} to ${formatDuration(max)}`,
          input: text,
        });
        return z.NEVER;
      }
      return seconds;
    })
  );

export { duration };
