import { ValidationError } from './errors.js';

const UNITS: Record<string, number> = { h: 3600, m: 60, s: 1 };
const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** Parses operator-friendly durations such as `4h`, `90m`, `1h30m` or `45s` into seconds. */
const parseDuration = (text: string): number => {
  const match = DURATION.exec(text.trim());
  if (text.trim() === '' || match === null) {
    throw new ValidationError('INVALID_DURATION', `'${text}' is not a duration; write it like 30m, 2h or 1h30m`);
  }
  const [, h, m, s] = match;
  return Number(h ?? 0) * UNITS.h! + Number(m ?? 0) * UNITS.m! + Number(s ?? 0) * UNITS.s!;
};

/** The inverse, for messages: 5400 → `1h30m`. */
const formatDuration = (seconds: number): string => {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const text = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}`;
  return text === '' ? '0s' : text;
};

export { formatDuration, parseDuration };
