import { performance } from 'node:perf_hooks';

/**
 * Runs each series once per round, their order rotated every round so drift and noise hit every
 * series alike, and keeps each run's result after the first `warmup` rounds, by series.
 */
const inRotation = async <K extends string, T>(
  series: Readonly<Record<K, () => Promise<T>>>,
  rounds: number,
  warmup: number
): Promise<Record<K, T[]>> => {
  const names = Object.keys(series) as K[];
  const results = Object.fromEntries(names.map((name) => [name, []])) as unknown as Record<K, T[]>;
  for (let round = 0; round < warmup + rounds; round++) {
    const turn = round % names.length;
    for (const name of [...names.slice(turn), ...names.slice(0, turn)]) {
      const result = await (series[name] as () => Promise<T>)();
      if (round >= warmup) results[name].push(result);
    }
  }
  return results;
};

/** inRotation, each run timed: milliseconds by series. */
const timedInRotation = <K extends string>(
  series: Readonly<Record<K, () => Promise<unknown>>>,
  rounds: number,
  warmup: number
): Promise<Record<K, number[]>> =>
  inRotation(
    Object.fromEntries(
      (Object.entries(series) as [K, () => Promise<unknown>][]).map(([name, run]) => [
        name,
        async () => {
          const started = performance.now();
          await run();
          return performance.now() - started;
        },
      ])
    ) as Record<K, () => Promise<number>>,
    rounds,
    warmup
  );

export { inRotation, timedInRotation };
