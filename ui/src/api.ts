import { LOOPBACK_TOKEN_HEADER } from '../../cli/loopbackToken.js';
import type { SessionInfo } from './view/types.js';

/** An API refusal, carrying the broker's own code and message for the page to show as it is. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message);
  }
}

/** The sandbox's identity header; `jit ui` ignores it and signs with the engineer's credentials instead. */
const SANDBOX_USER_HEADER = 'x-jit-user';
const TOKEN_KEY = 'jit-console-token';

/**
 * The per-start token of the server this page came from (the sandbox, or `jit ui`), sent back on
 * every call. It arrives once in the URL's fragment (#token=…), which no browser sends to a server
 * or in a Referer; the page keeps it in this tab's sessionStorage and takes it out of the address
 * bar, so it survives the page's own navigation and a reload but not a copied link.
 */
const tokenFromLocation = (): string | undefined => {
  const match = /^#token=([A-Za-z0-9_-]{16,128})$/.exec(window.location.hash);
  if (match?.[1] !== undefined) {
    window.sessionStorage.setItem(TOKEN_KEY, match[1]);
    window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}#/`);
    return match[1];
  }
  return window.sessionStorage.getItem(TOKEN_KEY) ?? undefined;
};

let currentUser = '';
const uiToken = tokenFromLocation();
// The printed link pasted into a tab already on /ui changes only the fragment (no page load): take
// the token then too, and start over with it.
window.addEventListener('hashchange', () => {
  if (window.location.hash.startsWith('#token=') && tokenFromLocation() !== undefined) window.location.reload();
});

const setUser = (user: string): void => {
  currentUser = user;
};

/** What the loopback servers answer a call without this start's token (sandbox/loopbackGate.ts, cli/ui/uiGuard.ts). */
const TOKEN_REFUSALS = new Set(['SANDBOX_TOKEN_MISSING', 'SANDBOX_TOKEN_WRONG', 'BAD_UI_TOKEN']);
const OPEN_THE_PRINTED_LINK =
  'open the console with the link `npm start` (or `jit ui`) printed: it carries a token that changes at every start';

const failureOf = async (response: Response): Promise<ApiError> => {
  const text = await response.text();
  try {
    const { error } = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof error?.code === 'string' && typeof error.message === 'string') {
      // The server's words speak of headers; a person in a browser needs the link instead.
      const message = TOKEN_REFUSALS.has(error.code) ? OPEN_THE_PRINTED_LINK : error.message;
      return new ApiError(response.status, error.code, `${message} [${response.status} ${error.code}]`);
    }
  } catch {
    // Not the broker's JSON: say what came back instead.
  }
  return new ApiError(
    response.status,
    'UNEXPECTED',
    `HTTP ${response.status}: ${text.slice(0, 200) || response.statusText}`
  );
};

/** Calls the broker API on this page's origin (the sandbox itself, or `jit ui`'s forwarding server). */
const api = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (currentUser) headers[SANDBOX_USER_HEADER] = currentUser;
  if (uiToken) headers[LOOPBACK_TOKEN_HEADER] = uiToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch (error) {
    throw new ApiError(0, 'UNREACHABLE', `cannot reach the broker: ${(error as Error).message}`);
  }
  if (!response.ok) throw await failureOf(response);
  return (await response.json()) as T;
};

const loadSession = (): Promise<SessionInfo> => api<SessionInfo>('GET', '/ui/session.json');

export { ApiError, api, loadSession, setUser };
