import { createServer, type IncomingMessage, type Server } from 'node:http';
import { isPublicUiFile, serveUi, type UiFiles } from '../../ui/server/staticUi.js';
import type { SessionInfo } from '../../ui/src/view/types.js';
import type { ApiCall } from '../api/brokerClient.js';
import { ApiError } from '../errors.js';
import { checkUiRequest, type Refusal, UI_TOKEN_HEADER } from './uiGuard.js';

/** The broker routes the console uses; nothing else is forwarded (no CI routes, no health probing). */
const FORWARDED =
  /^\/(grants(\/g-[0-9a-z]{26}(\/(approve|deny|cancel|review|audit|credentials|done|revoke|extend))?)?|reports\/[a-z-]{1,20})$/;
const MAX_BODY_BYTES = 64 * 1024;

const readBody = (req: IncomingMessage): Promise<string | undefined> =>
  new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > MAX_BODY_BYTES) req.destroy();
    });
    req.on('end', () => resolve(text.length > MAX_BODY_BYTES ? undefined : text));
    req.on('error', reject);
  });

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const errorAnswer = ({ status, code, message }: Refusal): Answer => ({
  status,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify({ error: { code, message } }),
});

/** One console call, sent on to the broker through the CLI's own client (SigV4, or the sandbox user). */
const forward = async (call: ApiCall, method: string, url: URL, text: string | undefined): Promise<Answer> => {
  if (method !== 'GET' && method !== 'POST')
    return errorAnswer({ status: 405, code: 'METHOD_NOT_ALLOWED', message: 'use GET or POST' });
  if (!FORWARDED.test(url.pathname))
    return errorAnswer({ status: 404, code: 'NO_SUCH_ROUTE', message: `jit ui does not forward ${url.pathname}` });
  if (text === undefined)
    return errorAnswer({ status: 413, code: 'BODY_TOO_LARGE', message: `at most ${MAX_BODY_BYTES} bytes` });
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    return errorAnswer({ status: 400, code: 'INVALID_JSON', message: 'the body is not JSON' });
  }
  try {
    const result = await call<unknown>(method, url.pathname, {
      query: Object.fromEntries(url.searchParams),
      ...(body === undefined ? {} : { body }),
    });
    return {
      status: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify(result),
    };
  } catch (error) {
    if (error instanceof ApiError)
      return errorAnswer({ status: error.status || 502, code: error.code, message: error.message });
    return errorAnswer({ status: 502, code: 'BROKER_UNREACHABLE', message: (error as Error).message });
  }
};

interface UiServerOptions {
  readonly files: UiFiles;
  readonly session: SessionInfo;
  readonly token: string;
  readonly call: ApiCall;
}

/**
 * `jit ui`'s server: the console's static files and the broker API forwarded, on 127.0.0.1 only.
 * Every request's Host is checked (DNS rebinding); every API call needs this start's token.
 */
const createUiServer = ({ files, session, token, call }: UiServerOptions): Server =>
  createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const port = (req.socket.localPort ?? 0) as number;
    const header = req.headers[UI_TOKEN_HEADER];
    const isStaticFile = isPublicUiFile(url.pathname);
    const refusal = checkUiRequest(
      { host: req.headers.host, token: typeof header === 'string' ? header : undefined, isStaticFile },
      { port, token }
    );
    let answer: Answer;
    if (refusal !== undefined) answer = errorAnswer(refusal);
    else if (url.pathname === '/') answer = { status: 302, headers: { location: '/ui/' }, body: '' };
    else {
      const file = serveUi(files, session, method, url.pathname);
      answer =
        file === undefined
          ? await forward(call, method, url, await readBody(req))
          : { status: file.statusCode, headers: file.headers, body: file.body };
    }
    res.writeHead(answer.status, answer.headers);
    res.end(answer.body);
  });

export { createUiServer };
