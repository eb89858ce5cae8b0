import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SessionInfo } from '../src/view/types.js';

/** The console's whole content: nothing else is ever served from /ui (no paths from the request reach the disk). */
interface UiFiles {
  readonly 'index.html': string;
  readonly 'app.js': string;
  readonly 'app.css': string;
}

interface StaticResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const UI_PREFIX = '/ui';

const CONTENT_TYPES: Readonly<Record<keyof UiFiles, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/**
 * Only our own files run and load: no inline script, no other origin, no framing. The API is on
 * the same origin (the sandbox itself, or `jit ui`'s forwarding server).
 */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

const isUiPath = (pathname: string): boolean => pathname === UI_PREFIX || pathname.startsWith(`${UI_PREFIX}/`);

/**
 * The console's own code, which a browser loads by navigation and so cannot carry a token: public
 * (it holds no data). What the page's host says about itself (session.json) needs the token.
 */
const isPublicUiFile = (pathname: string): boolean => isUiPath(pathname) && pathname !== `${UI_PREFIX}/session.json`;

const notFound = (message: string): StaticResponse => ({
  statusCode: 404,
  headers: { 'content-type': 'application/json', ...SECURITY_HEADERS },
  body: JSON.stringify({ error: { code: 'NO_SUCH_FILE', message } }),
});

/**
 * Answers GET /ui, /ui/, /ui/<file> and /ui/session.json (what the page's host says about itself);
 * undefined when the path is not under /ui. The query and fragment play no part.
 */
const serveUi = (
  files: UiFiles,
  session: SessionInfo,
  method: string,
  pathname: string
): StaticResponse | undefined => {
  if (!isUiPath(pathname)) return undefined;
  if (method !== 'GET' && method !== 'HEAD') return { ...notFound('the console only answers GET'), statusCode: 405 };
  if (pathname === UI_PREFIX)
    return { statusCode: 308, headers: { location: `${UI_PREFIX}/`, ...SECURITY_HEADERS }, body: '' };
  const name = pathname.slice(UI_PREFIX.length + 1) || 'index.html';
  if (name === 'session.json')
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', ...SECURITY_HEADERS },
      body: JSON.stringify(session),
    };
  if (!Object.hasOwn(CONTENT_TYPES, name)) return notFound(`no file ${pathname}: the console is at ${UI_PREFIX}/`);
  const file = name as keyof UiFiles;
  return { statusCode: 200, headers: { 'content-type': CONTENT_TYPES[file], ...SECURITY_HEADERS }, body: files[file] };
};

/** The built console in a folder (`npm run build:ui`), for `jit ui`. */
const readUiFiles = (dir: string): UiFiles => ({
  'index.html': readFileSync(join(dir, 'index.html'), 'utf8'),
  'app.js': readFileSync(join(dir, 'app.js'), 'utf8'),
  'app.css': readFileSync(join(dir, 'app.css'), 'utf8'),
});

export type { StaticResponse, UiFiles };
export { isPublicUiFile, isUiPath, readUiFiles, serveUi, UI_PREFIX };
