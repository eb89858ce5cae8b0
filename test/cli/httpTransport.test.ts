import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrokerClient } from '../../cli/api/brokerClient.js';
import { nodeHttpFetch } from '../../cli/api/httpTransport.js';
import { resolveConfig } from '../../cli/config.js';
import { EXIT } from '../../cli/errors.js';

/** What `promise` rejects with; fails when it resolves. */
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error
  );

const bodyOf = (request: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => resolve(body));
  });

describe('the CLI’s HTTP client (node:http, not fetch)', () => {
  let server: Server;
  let base: string;
  const received: { method?: string; url?: string; headers: IncomingMessage['headers']; body: string }[] = [];

  beforeAll(async () => {
    server = createServer(async (request, response) => {
      received.push({
        method: request.method,
        url: request.url,
        headers: request.headers,
        body: await bodyOf(request),
      });
      if (request.url === '/slow') return; // never answers
      response.statusCode = request.url === '/missing' ? 404 : 200;
      response.statusMessage = request.url === '/missing' ? 'Not Found' : 'OK';
      response.setHeader('content-type', 'application/json');
      response.end(request.url === '/missing' ? '{"error":{"code":"NOPE","message":"no such thing"}}' : '{"ok":"é"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  );

  it('sends the method, headers and body, and reads status and UTF-8 text', async () => {
    const answer = await nodeHttpFetch(`${base}/things?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
      body: '{"name":"ü"}',
    });
    expect(answer.ok).toBe(true);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ ok: 'é' });
    const last = received.at(-1);
    expect(last).toMatchObject({ method: 'POST', url: '/things?x=1', body: '{"name":"ü"}' });
    expect(last?.headers).toMatchObject({ authorization: 'Bearer t', 'content-length': '13' });
  });

  it('answers a 404 as not ok, with its status text and body', async () => {
    const answer = await nodeHttpFetch(`${base}/missing`);
    expect([answer.ok, answer.status, answer.statusText]).toEqual([false, 404, 'Not Found']);
    expect(await answer.text()).toContain('no such thing');
  });

  it('gives up when the signal times out, as a TimeoutError', async () => {
    const error = await rejection(nodeHttpFetch(`${base}/slow`, { signal: AbortSignal.timeout(100) }));
    expect((error as Error).name).toBe('TimeoutError');
  });

  it('is how the broker client reports a refused connection: exit 4 with the socket’s reason', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const config = resolveConfig({ flags: { api: `http://127.0.0.1:${port}`, as: 'alice' }, env: {} });
    const call = createBrokerClient(config, { fetch: nodeHttpFetch, credentials: async () => ({}) as never });
    const error = (await rejection(call('GET', '/grants'))) as Error & { exitCode: number };
    expect(error.exitCode).toBe(EXIT.unreachable);
    expect(error.message).toContain('(ECONNREFUSED)');
  });
});
