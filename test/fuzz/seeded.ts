import type fc from 'fast-check';

/**
 * The fuzz tier is seeded, so a run is repeatable and CI fails the same way twice: a failure prints
 * its seed and counterexample; FUZZ_SEED=<seed> replays it, FUZZ_RUNS_SCALE=<n> runs n times as many cases.
 */
const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const RUNS_SCALE = Number(process.env.FUZZ_RUNS_SCALE ?? 1);

/** fast-check parameters for a property worth `numRuns` cases in CI. */
const seeded = (numRuns: number): fc.Parameters<unknown> => ({
  seed: FUZZ_SEED,
  numRuns: Math.max(1, Math.round(numRuns * RUNS_SCALE)),
  endOnFailure: true,
});

export { FUZZ_SEED, seeded };
