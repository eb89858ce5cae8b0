import { connect } from 'node:net';

/** What came back on a raw socket: the answer (if any), whether the server closed, whether we gave up waiting. */
interface RawAnswer {
  readonly status: number | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly closedByServer: boolean;
  readonly timedOut: boolean;
}

interface RawOptions {
  /** Give up (and report timedOut) after this long: the per-request bound that catches a hang. */
  readonly timeoutMs?: number;
  /** Pause between the parts written, to play a slow client. */
  readonly pauseMs?: number;
  /** Disconnect right after the last part, without waiting for an answer (a vanished client). */
  readonly hangUp?: boolean;
}

const decodeChunked = (text: string): string | undefined => {
  let rest = text;
  let out = '';
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    if (lineEnd < 0) return undefined;
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return rest.slice(lineEnd + 2).startsWith('\r\n') ? out : undefined;
    const start = lineEnd + 2;
    if (rest.length < start + size + 2) return undefined;
    out += rest.slice(start, start + size);
    rest = rest.slice(start + size + 2);
  }
};

/** Status, headers and body once a whole HTTP/1.1 answer is in `text`; undefined while it is not. */
const parseAnswer = (text: string, closed: boolean) => {
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine = '', ...lines] = text.slice(0, headEnd).split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => {
      const at = line.indexOf(':');
      return [line.slice(0, at).trim().toLowerCase(), line.slice(at + 1).trim()];
    })
  );
  const status = Number(statusLine.split(' ')[1]);
  const rawBody = text.slice(headEnd + 4);
  let body: string | undefined;
  if (headers['transfer-encoding'] === 'chunked') body = decodeChunked(rawBody);
  // `text` is latin1: one character per byte, so lengths are byte counts.
  else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    body = rawBody.length >= length ? rawBody.slice(0, length) : undefined;
  } else body = closed ? rawBody : undefined;
  return body === undefined ? undefined : { status, headers, body };
};

/**
 * Writes `parts` to a fresh TCP connection exactly as given — no client library in between to
 * fix, refuse or re-encode a malformed request — and resolves with the first answer.
 */
const rawRequest = (port: number, parts: readonly (string | Buffer)[], options: RawOptions = {}): Promise<RawAnswer> =>
  new Promise((resolve) => {
    const { timeoutMs = 5_000, pauseMs = 0, hangUp = false } = options;
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let settled = false;
    const settle = (closedByServer: boolean, timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const answer = parseAnswer(received.toString('latin1'), true);
      resolve({
        status: answer?.status,
        headers: answer?.headers ?? {},
        body: answer ? Buffer.from(answer.body, 'latin1').toString('utf8') : '',
        closedByServer,
        timedOut,
      });
    };
    const timer = setTimeout(() => settle(false, true), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (parseAnswer(received.toString('latin1'), false) !== undefined) settle(false, false);
    });
    socket.on('close', () => settle(true, false));
    socket.on('error', () => settle(true, false));
    socket.once('connect', async () => {
      for (const [i, part] of parts.entries()) {
        if (i > 0 && pauseMs > 0) await new Promise((wait) => setTimeout(wait, pauseMs));
        if (settled || socket.destroyed) return;
        socket.write(part);
      }
      if (hangUp) settle(false, false);
    });
  });

/** A request head: the request line and header lines exactly as given (a case can leave any out or break it). */
const requestHead = (requestLine: string, lines: readonly string[]): string =>
  `${[requestLine, ...lines].join('\r\n')}\r\n\r\n`;

/** The JSON error of an answer, or undefined when it is not `{error:{code,message}}`. */
const errorOf = (answer: RawAnswer): { code: string; message: string } | undefined => {
  try {
    const parsed = JSON.parse(answer.body) as { error?: { code?: unknown; message?: unknown } };
    const { code, message } = parsed.error ?? {};
    return typeof code === 'string' && typeof message === 'string' && Object.keys(parsed).length === 1
      ? { code, message }
      : undefined;
  } catch {
    return undefined;
  }
};

export type { RawAnswer };
export { errorOf, rawRequest, requestHead };
