/**
 * The header the loopback servers — the sandbox and `jit ui` — take their per-start token in; the
 * web console sends it on every call. A module of its own, without Node imports, because the
 * console's browser bundle uses it too.
 */
const LOOPBACK_TOKEN_HEADER = 'x-jit-sandbox-token';

export { LOOPBACK_TOKEN_HEADER };
