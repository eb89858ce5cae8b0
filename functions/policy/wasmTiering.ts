/**
 * How eagerly V8 optimises Cedar's WASM: set before the module is compiled (functions/policy/cedar.ts
 * imports this first).
 *
 * V8 compiles WASM functions on first call with its baseline compiler and, once a function has run
 * a "tiering budget" (bytes executed, roughly), recompiles it with its optimising compiler on a
 * background thread. Cedar's parser and validator are large and run hot at a cold start (the
 * configuration is validated then), so with V8's default budget dozens of them are recompiled
 * while the first request waits: ~3× the CPU from the WASM load to the first answer, on a Lambda
 * with one vCPU or less all of it on the request's time (docs/policy-performance.md). A larger
 * budget keeps the cold start on baseline code; code that stays hot — the authorizer under load —
 * still reaches the optimising compiler, later. The budget trades the two (`npm run bench:cedar`,
 * Node 20, quiet 2-core machine, CPU from import to the first answer / warm decisions per second):
 * V8's own 1.8 million 650 ms / 5,300; 20 million 450–500 ms / 5,400; 300 million 260 ms / 5,050–5,230;
 * 1 billion 190 ms / 4,760–4,930. 300 million meets both targets (≤ 400 ms, ≥ 5,000/s).
 *
 * Node refuses this V8 flag in NODE_OPTIONS, so it is set here. It changes when V8 optimises,
 * never what the code computes. JIT_WASM_TIERING_BUDGET=default leaves V8's own.
 */
import { setFlagsFromString } from 'node:v8';

const DEFAULT_BUDGET = 300_000_000;

const configured = process.env.JIT_WASM_TIERING_BUDGET || undefined;
if (configured !== 'default') {
  const budget = Number(configured ?? DEFAULT_BUDGET);
  if (Number.isSafeInteger(budget) && budget > 0) setFlagsFromString(`--wasm-tiering-budget=${budget}`);
}
