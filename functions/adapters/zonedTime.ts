const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

interface LocalTime {
  readonly hourOfDay: number;
  /** ISO weekday: 1 = Monday … 7 = Sunday. */
  readonly weekday: number;
}

/**
 * Per time zone, its formatter (building one costs more than a Cedar decision) and the last second
 * it was asked about: every zone offset is a whole number of seconds, so the answer holds for that
 * whole second, and a busy engine asks about the same second many times.
 */
const zones = new Map<string, { format: Intl.DateTimeFormat; second: number; time: LocalTime }>();

const read = (format: Intl.DateTimeFormat, at: Date): LocalTime => {
  let hour = '';
  let weekday = '';
  for (const part of format.formatToParts(at)) {
    if (part.type === 'hour') hour = part.value;
    else if (part.type === 'weekday') weekday = part.value;
  }
  return { hourOfDay: Number(hour) % 24, weekday: WEEKDAYS[weekday] ?? 0 };
};

/** Hour (0–23) and ISO weekday of `at` in the IANA zone `timeZone`. */
const localTime = (at: Date, timeZone: string): LocalTime => {
  const second = Math.floor(at.getTime() / 1000);
  let zone = zones.get(timeZone);
  if (zone === undefined) {
    const format = new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', hourCycle: 'h23', weekday: 'short' });
    zone = { format, second, time: read(format, at) };
    zones.set(timeZone, zone);
  } else if (zone.second !== second) {
    zone.second = second;
    zone.time = read(zone.format, at);
  }
  return zone.time;
};

export type { LocalTime };
export { localTime };
