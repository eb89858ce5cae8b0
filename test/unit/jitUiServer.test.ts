import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiCall } from '../../cli/api/brokerClient.js';
import { ApiError } from '../../cli/errors.js';
import { checkUiRequest } from '../../cli/ui/uiGuard.js';
import { createUiServer } from '../../cli/ui/uiServer.js';

const TOKEN = 'tok_0123456789abcdefghijklmnopqrstuv';

describe('checkUiRequest', () => {
  const expected = { port: 4321, token: TOKEN };

  it('refuses any Host but the loopback names on its own port (DNS rebinding)', () => {
    for (const host of ['evil.example:4321', '127.0.0.1:80', '127.0.0.1', undefined, '127.0.0.1:4321.evil.example'])
      expect(checkUiRequest({ host, token: TOKEN, isStaticFile: true }, expected)?.code).toBe('WRONG_HOST');
    for (const host of ['127.0.0.1:4321', 'localhost:4321', 'LOCALHOST:4321', '[::1]:4321'])
      expect(checkUiRequest({ host, token: TOKEN, isStaticFile: false }, expected)).toBeUndefined();
  });

  it('needs this start’s token for everything but the static files', () => {
    const host = '127.0.0.1:4321';
    expect(checkUiRequest({ host, token: undefined, isStaticFile: true }, expected)).toBeUndefined();
    for (const token of [undefined, '', `${TOKEN}x`, TOKEN.slice(1), TOKEN.toUpperCase()])
      expect(checkUiRequest({ host, token, isStaticFile: false }, expected)?.status).toBe(401);
  });
});

describe('jit ui server', () => {
  const calls: { method: string; path: string; options: unknown }[] = [];
  const call = (async (method: string, path: string, options: unknown) => {
    calls.push({ method, path, options });
    if (path.endsWith('/approve')) throw new ApiError(403, 'SELF_APPROVAL', 'you cannot approve your own grant');
    return { grants: [] };
  }) as ApiCall;
  const server = createUiServer({
    files: { 'index.html': '<html>console</html>', 'app.js': 'js', 'app.css': 'css' },
    session: { mode: 'signed', apiUrl: 'https://broker.example' },
    token: TOKEN,
    call,
  });
  let port = 0;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** node:http, so the test can send any Host header (fetch would not). */
  const send = (path: string, headers: Record<string, string>, method = 'GET', body?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });

  it('serves the console to a loopback Host without the token, and nothing to another Host', async () => {
    expect(await send('/ui/', { host: `127.0.0.1:${port}` })).toEqual({ status: 200, body: '<html>console</html>' });
    const rebound = await send('/ui/', { host: `attacker.example:${port}` });
    expect(rebound.status).toBe(421);
    expect(JSON.parse(rebound.body).error.code).toBe('WRONG_HOST');
  });

  it('forwards API calls only with the token, with the query and body, and passes refusals through', async () => {
    const host = `127.0.0.1:${port}`;
    expect((await send('/grants?inbox', { host })).status).toBe(401);
    expect((await send('/ui/session.json', { host })).status).toBe(401);
    expect(calls).toEqual([]);

    const listed = await send('/grants?inbox=', { host, 'x-jit-sandbox-token': TOKEN });
    expect(listed).toEqual({ status: 200, body: '{"grants":[]}' });
    expect(calls[0]).toEqual({ method: 'GET', path: '/grants', options: { query: { inbox: '' } } });

    const id = 'g-01m8sykyy5b6x0kdtgtkcav09m';
    const refused = await send(
      `/grants/${id}/approve`,
      { host, 'x-jit-sandbox-token': TOKEN },
      'POST',
      '{"comment":"ok"}'
    );
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error).toEqual({
      code: 'SELF_APPROVAL',
      message: 'you cannot approve your own grant',
    });
    expect(calls[1]?.options).toEqual({ query: {}, body: { comment: 'ok' } });
  });

  it('forwards nothing outside the console’s routes', async () => {
    const headers = { host: `127.0.0.1:${port}`, 'x-jit-sandbox-token': TOKEN };
    const before = calls.length;
    for (const path of ['/ci/credentials', '/health', '/grants/../ci/credentials', '/grants/not-an-id/approve'])
      expect((await send(path, headers, 'POST', '{}')).status).toBe(404);
    expect((await send('/grants', headers, 'POST', '{not json')).status).toBe(400);
    expect(calls.length).toBe(before);
  });
});
