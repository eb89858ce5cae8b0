import type { IncomingMessage, RequestOptions } from 'node:http';

/** What the CLI reads of an HTTP answer: a subset of fetch's Response, so tests may hand it a real one. */
interface HttpResponse {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

interface HttpRequestInit {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

/** The one way the CLI makes HTTP requests (the broker, a CI platform's token endpoint, AWS sign-in). */
type HttpFetch = (url: string | URL, init?: HttpRequestInit) => Promise<HttpResponse>;

const answerOf = (message: IncomingMessage, body: string): HttpResponse => {
  const status = message.statusCode ?? 0;
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: message.statusMessage ?? '',
    text: async () => body,
    json: async () => JSON.parse(body) as unknown,
  };
};

/**
 * fetch's subset over node:http/https. Node 20's fetch costs the CLI twice on every run: its
 * client loads on first use (~0.1 s), and a process that used it stays alive another 0.3–0.7 s
 * before it exits (docs/cli.md). node:http loads only when a request is made, and its idle
 * keep-alive sockets do not hold the process. Errors carry the socket's code (ECONNREFUSED, …);
 * an aborted signal rejects with the signal's reason (a TimeoutError for AbortSignal.timeout).
 */
const nodeHttpFetch: HttpFetch = async (input, init = {}) => {
  const url = new URL(String(input));
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`cannot fetch ${url.protocol} URLs`);
  const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const { signal } = init;
  signal?.throwIfAborted();
  const headers: Record<string, string | number> = { ...init.headers };
  if (init.body !== undefined) headers['content-length'] = Buffer.byteLength(init.body);
  const options: RequestOptions = { method: init.method ?? 'GET', headers };
  return new Promise<HttpResponse>((resolve, reject) => {
    const outgoing = request(url, options, (message) => {
      const chunks: Buffer[] = [];
      message.on('data', (chunk: Buffer) => chunks.push(chunk));
      message.once('error', reject);
      message.once('end', () => resolve(answerOf(message, Buffer.concat(chunks).toString('utf8'))));
    });
    const abort = () => outgoing.destroy(signal?.reason as Error);
    signal?.addEventListener('abort', abort, { once: true });
    outgoing.once('close', () => signal?.removeEventListener('abort', abort));
    outgoing.once('error', reject);
    outgoing.end(init.body);
  });
};

export type { HttpFetch, HttpRequestInit, HttpResponse };
export { nodeHttpFetch };
