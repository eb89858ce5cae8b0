import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Refusal } from './loopbackGate.js';

/** Far above the API's own body limit, so the handler (not the server) answers oversize bodies. */
const MAX_READ_BYTES = 1024 * 1024;
/** A body still arriving after this long is a slow client or a slowloris; its request is answered 408. */
const BODY_TIMEOUT_MS = 10_000;

/**
 * How reading a body ended. `gone`: the client disconnected (nobody to answer). `refused`: Node's
 * parser refused what came (a malformed chunk) while the client is still there to be told.
 */
type BodyRead =
  | { kind: 'body'; text: string }
  | { kind: 'too-large' }
  | { kind: 'timeout' }
  | { kind: 'refused'; refusal: Refusal }
  | { kind: 'gone' };

/**
 * Bodies being read, by socket: a parse error in a body reaches the server's `clientError`, not
 * the request, so the server hands it to the reader this way. The reader answers false when its
 * body had already arrived whole: the error is in whatever the client sent after it.
 */
type BodyReaders = WeakMap<Socket, (refusal: Refusal) => boolean>;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body as text. Bytes that are not UTF-8 are refused rather than replaced with U+FFFD: a
 * request must not be quietly changed into one its sender did not write.
 */
const decoded = (bytes: Buffer): BodyRead => {
  try {
    return { kind: 'body', text: utf8.decode(bytes) };
  } catch {
    return {
      kind: 'refused',
      refusal: {
        status: 400,
        code: 'BAD_BODY_ENCODING',
        message: 'the body is not valid UTF-8; send JSON encoded as UTF-8',
      },
    };
  }
};

/**
 * Reads a request body to the end, without ever rejecting: every way it can end (a disconnect,
 * a broken chunk, too many bytes, too slow) is an outcome the server answers or logs.
 */
const readBody = (
  req: IncomingMessage,
  readers: BodyReaders,
  limits: { maxBytes?: number; timeoutMs: number }
): Promise<BodyRead> =>
  new Promise((resolve) => {
    const maxBytes = limits.maxBytes ?? MAX_READ_BYTES;
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => finish({ kind: 'timeout' }), limits.timeoutMs);
    const finish = (read: BodyRead) => {
      clearTimeout(timer);
      readers.delete(req.socket);
      resolve(read); // only the first outcome counts
    };
    if (Number(req.headers['content-length']) > maxBytes) {
      finish({ kind: 'too-large' });
      return;
    }
    readers.set(req.socket, (refusal) => {
      if (req.complete) return false;
      finish({ kind: 'refused', refusal });
      return true;
    });
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else finish({ kind: 'too-large' });
    });
    req.on('end', () => finish(decoded(Buffer.concat(chunks))));
    req.on('error', () => finish({ kind: 'gone' }));
    req.on('close', () => finish({ kind: 'gone' }));
  });

export type { BodyRead, BodyReaders };
export { BODY_TIMEOUT_MS, MAX_READ_BYTES, readBody };
