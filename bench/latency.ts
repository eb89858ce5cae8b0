/** Latency samples (ms) summarised as the benchmarks print them: median and 95th percentile. */
const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

const summary = (samples: readonly number[]): { median: number; p95: number } => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) };
};

export { summary };
