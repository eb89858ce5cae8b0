import { loopbackHosts } from '../loopbackHosts.js';
import { LOOPBACK_TOKEN_HEADER } from '../loopbackToken.js';
import { sameToken } from '../sameToken.js';

/** The header the console sends its per-start token in (ui/src/api.ts): the same as the sandbox's. */
const UI_TOKEN_HEADER = LOOPBACK_TOKEN_HEADER;

interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/**
 * Whether a request to `jit ui` may go on. The Host check applies to everything; the token to all
 * but the console's own static files (public code, no data). The token travels in a custom header,
 * so another site cannot send it cross-origin without a CORS preflight, which this server never allows.
 */
const checkUiRequest = (
  request: { readonly host: string | undefined; readonly token: string | undefined; readonly isStaticFile: boolean },
  expected: { readonly port: number; readonly token: string }
): Refusal | undefined => {
  if (request.host === undefined || !loopbackHosts(expected.port).has(request.host.toLowerCase()))
    return {
      status: 421,
      code: 'WRONG_HOST',
      message: `jit ui only answers http://127.0.0.1:${expected.port}/ (Host was ${JSON.stringify(request.host ?? '')})`,
    };
  if (request.isStaticFile) return undefined;
  if (!sameToken(request.token, expected.token))
    return {
      status: 401,
      code: 'BAD_UI_TOKEN',
      message: 'open the console with the URL jit ui printed (it carries this run’s token)',
    };
  return undefined;
};

export type { Refusal };
export { checkUiRequest, UI_TOKEN_HEADER };
