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
 * still reaches the optimising compiler soon after. The budget is the smallest that keeps the cold
 * start on baseline code (`npm run bench:cedar`: 5 million still did on Node 20, V8's 1.8 million
 * did not) with a margin: 20 million. A much larger one (1 billion was tried) delays the optimising
 * compiler so long that a warm function decides ~10% slower for its first tens of thousands of
 * decisions.
 *
 * Node refuses this V8 flag in NODE_OPTIONS, so it is set here. It changes when V8 optimises,
 * never what the code computes. JIT_WASM_TIERING_BUDGET=default leaves V8's own.
 */
import { setFlagsFromString } from 'node:v8';

const DEFAULT_BUDGET = 20_000_000;

const configured = process.env.JIT_WASM_TIERING_BUDGET || undefined;
if (configured !== 'default') {
  const budget = Number(configured ?? DEFAULT_BUDGET);
  if (Number.isSafeInteger(budget) && budget > 0) setFlagsFromString(`--wasm-tiering-budget=${budget}`);
}
