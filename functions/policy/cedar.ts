/**
 * The one import of the Cedar WASM bindings (the Node.js build: it loads its .wasm synchronously
 * on first import, ~60–120 ms, once per process), after V8's WASM tiering is set for a fast first
 * answer (./wasmTiering.ts).
 */
import './wasmTiering.js';

export type {
  AuthorizationAnswer,
  DetailedError,
  EntityJson,
  EntityUidJson,
  PolicyJson,
} from '@cedar-policy/cedar-wasm/nodejs';
export * as cedar from '@cedar-policy/cedar-wasm/nodejs';
