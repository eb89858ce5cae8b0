import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpDeps } from '../../functions/handlers/http/httpRoute.js';
import type { HttpEvent } from '../../functions/handlers/http/httpTypes.js';
import { json } from '../../functions/handlers/http/responses.js';
import type { Route } from '../../functions/handlers/routes.js';
import { createSandboxServer } from '../../sandbox/sandboxServer.js';
import { capturingLogger } from '../helpers/fixtures.js';
import { errorOf, type RawAnswer, rawRequest, requestHead } from '../helpers/rawHttp.js';

const TOKEN = 'per-start-token';
const BODY_TIMEOUT_MS = 400;

/**
 * The sandbox's HTTP edge in front of stand-in handlers: everything a client can send that is not
 * a request for a handler — broken targets, escapes, bodies, headers, hosts, tokens — answered with
 * a 4xx `{error:{code,message}}` or a closed connection, and the server still serving after it.
 */
describe('the sandbox server', () => {
  let server: Server;
  let port: number;
  const events: HttpEvent[] = [];
  const { logger, lines } = capturingLogger();
  const echo = (e: HttpEvent) => {
    events.push(e);
    return json(200, { params: e.pathParameters ?? {}, body: e.body ?? null, user: e.requestContext.authorizer });
  };
  const routes: Route[] = [
    { name: 'health', method: 'GET', path: '/health', auth: 'none', build: () => async () => json(200, { ok: true }) },
    { name: 'getGrant', method: 'GET', path: '/grants/{id}', auth: 'iam', build: () => async (e) => echo(e) },
    {
      name: 'approveGrant',
      method: 'POST',
      path: '/grants/{id}/approve',
      auth: 'iam',
      build: () => async (e) => echo(e),
    },
    {
      name: 'broken',
      method: 'GET',
      path: '/broken',
      auth: 'iam',
      build: () => async () => {
        throw new Error('a bug in a handler');
      },
    },
  ];

  beforeAll(async () => {
    server = createSandboxServer(routes, { logger } as unknown as HttpDeps, {
      token: TOKEN,
      bodyTimeoutMs: BODY_TIMEOUT_MS,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  );
  beforeEach(() => {
    events.length = 0;
  });

  const host = () => `127.0.0.1:${port}`;
  /** A request head as a well-behaved client would send it; `extra` adds or replaces lines. */
  const head = (requestLine: string, extra: string[] = [], { token = true, hostLine = true } = {}) =>
    requestHead(requestLine, [
      ...(hostLine ? [`Host: ${host()}`] : []),
      ...(token ? [`x-jit-sandbox-token: ${TOKEN}`] : []),
      'x-jit-user: alice',
      'Connection: close',
      ...extra,
    ]);
  const send = (parts: (string | Buffer)[], options?: Parameters<typeof rawRequest>[2]) =>
    rawRequest(port, parts, options);
  const expectRefused = (answer: RawAnswer, status: number, code: string) => {
    expect(answer.timedOut, 'the server never answered').toBe(false);
    expect(answer.status, answer.body).toBe(status);
    expect(errorOf(answer)?.code, answer.body).toBe(code);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  };
  const stillServing = async () => {
    const health = await send([head('GET /health HTTP/1.1', [], { token: false })]);
    expect(health.status).toBe(200);
  };

  it('answers a path parameter that is not valid percent-encoded UTF-8 with 400, and keeps serving', async () => {
    for (const target of ['/grants/%', '/grants/%E0%A4%A/approve', '/grants/%ZZ', '/grants/%C3%28']) {
      const method = target.endsWith('approve') ? 'POST' : 'GET';
      const answer = await send([head(`${method} ${target} HTTP/1.1`, ['Content-Length: 0'])]);
      expectRefused(answer, 400, 'BAD_PATH_ENCODING');
      expect(errorOf(answer)?.message).toContain('is not valid percent-encoded UTF-8');
    }
    expect(events).toEqual([]);
    await stillServing();
  });

  it('decodes well-formed escapes for the handler, as API Gateway does', async () => {
    const answer = await send([head('GET /grants/g-%C3%A9t%C3%A9 HTTP/1.1')]);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).params).toEqual({ id: 'g-été' });
  });

  it('refuses request targets that are neither a path nor a valid http URL', async () => {
    for (const target of ['http://[::1', 'http://127.0.0.1:99999/grants', 'https://127.0.0.1/grants', '*', 'grants']) {
      const answer = await send([head(`GET ${target} HTTP/1.1`)]);
      expect(answer.status, `${target}: ${answer.body}`).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(errorOf(answer)?.code).toMatch(/^(BAD_REQUEST_TARGET|MALFORMED_REQUEST)$/);
    }
    await stillServing();
  });

  it('takes an absolute-form target only when it names the sandbox itself', async () => {
    expect((await send([head(`GET http://${host()}/grants/g-1 HTTP/1.1`)])).status).toBe(200);
    expectRefused(await send([head('GET http://evil.example/grants/g-1 HTTP/1.1')]), 421, 'WRONG_HOST');
  });

  it('does not read `//host` in an origin-form target as a host', async () => {
    expectRefused(await send([head('GET //[ HTTP/1.1')]), 404, 'NO_SUCH_ROUTE');
    await stillServing();
  });

  it('survives a client that disconnects in the middle of a body', async () => {
    const answer = await send(
      [head('POST /grants/g-1/approve HTTP/1.1', ['Content-Type: application/json', 'Content-Length: 100']), '{"comm'],
      { hangUp: true }
    );
    expect(answer.status).toBeUndefined();
    await new Promise((wait) => setTimeout(wait, 50));
    expect(events).toEqual([]);
    await stillServing();
  });

  /** An approval whose JSON body comes in `chunks` (Transfer-Encoding: chunked), framing as given. */
  const chunkedApproval = (...chunks: string[]) =>
    send([
      head('POST /grants/g-1/approve HTTP/1.1', ['Content-Type: application/json', 'Transfer-Encoding: chunked']),
      ...chunks,
    ]);

  it('answers a broken chunked body with 400 and closes', async () => {
    const answer = await chunkedApproval('5\r\n{"a":\r\nzz\r\nnot a chunk\r\n');
    expectRefused(answer, 400, 'MALFORMED_REQUEST');
    expect(events).toEqual([]);
    await stillServing();
  });

  it('passes a well-formed chunked body to the handler', async () => {
    const answer = await chunkedApproval('7\r\n{"comme\r\n', '9\r\nnt":"ok"}\r\n0\r\n\r\n');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).body).toBe('{"comment":"ok"}');
  });

  it('refuses a body that is not UTF-8 instead of replacing its bytes', async () => {
    const body = Buffer.concat([Buffer.from('{"comment":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const answer = await send([head('POST /grants/g-1/approve HTTP/1.1', [`Content-Length: ${body.length}`]), body]);
    expectRefused(answer, 400, 'BAD_BODY_ENCODING');
    expect(events).toEqual([]);
  });

  it('answers a body that trickles in too slowly with 408 and closes the connection (slowloris)', async () => {
    const started = Date.now();
    const answer = await send([head('POST /grants/g-1/approve HTTP/1.1', ['Content-Length: 20']), '{', '"', 'c'], {
      pauseMs: BODY_TIMEOUT_MS,
      timeoutMs: 5 * BODY_TIMEOUT_MS,
    });
    expectRefused(answer, 408, 'BODY_TIMEOUT');
    expect(answer.headers.connection).toBe('close');
    expect(Date.now() - started).toBeLessThan(4 * BODY_TIMEOUT_MS);
    expect(events).toEqual([]);
  });

  it('answers a body far over the limit with 413 before reading it', async () => {
    const declared = await send([head('POST /grants/g-1/approve HTTP/1.1', ['Content-Length: 50000000']), 'x']);
    expectRefused(declared, 413, 'BODY_TOO_LARGE');
    const chunked = await send([
      head('POST /grants/g-1/approve HTTP/1.1', ['Transfer-Encoding: chunked']),
      `200000\r\n${'x'.repeat(0x200000)}\r\n0\r\n\r\n`,
    ]);
    expectRefused(chunked, 413, 'BODY_TOO_LARGE');
    expect(events).toEqual([]);
    await stillServing();
  });

  it('answers oversized headers with 431', async () => {
    expectRefused(
      await send([head('GET /grants/g-1 HTTP/1.1', [`X-Big: ${'a'.repeat(20_000)}`])]),
      431,
      'HEADERS_TOO_LARGE'
    );
    await stillServing();
  });

  it('refuses the request smuggling shapes Node refuses, with a JSON 400', async () => {
    const shapes = [
      ['Content-Length: 3', 'Transfer-Encoding: chunked'],
      ['Content-Length: 3', 'Content-Length: 4'],
      ['Transfer-Encoding: chunked, identity'],
      ['Content-Length: -1'],
      ['Content-Length: 1e3'],
      [' Content-Length: 3'],
    ];
    for (const extra of shapes) {
      const answer = await send([head('POST /grants/g-1/approve HTTP/1.1', extra), '0\r\n\r\n']);
      expectRefused(answer, 400, 'MALFORMED_REQUEST');
    }
    expectRefused(await send(['G@T /health HTTP/1.1\r\n\r\n']), 400, 'MALFORMED_REQUEST');
    expect(events).toEqual([]);
    await stillServing();
  });

  it('answers its own request and closes when what follows it cannot be parsed', async () => {
    const answer = await send([
      `${head('POST /grants/g-1/approve HTTP/1.1', ['Content-Length: 2']).replace('Connection: close\r\n', '')}{}GARBAGE GARBAGE\r\n\r\n`,
    ]);
    expect(answer.status).toBe(200);
    expect(answer.headers.connection).toBe('close');
  });

  it('answers a handler that throws with a 500 and logs it, and keeps serving', async () => {
    const answer = await send([head('GET /broken HTTP/1.1')]);
    expectRefused(answer, 500, 'INTERNAL');
    expect(lines.some((line) => line.includes('a bug in a handler'))).toBe(true);
    await stillServing();
  });

  describe('the loopback gate', () => {
    it('accepts its loopback names on its own port, in any letter case', async () => {
      for (const name of ['127.0.0.1', 'localhost', '[::1]', 'LocalHost']) {
        const answer = await send([
          head('GET /grants/g-1 HTTP/1.1', [], { hostLine: false }).replace('\r\n', `\r\nHost: ${name}:${port}\r\n`),
        ]);
        expect(answer.status, `${name}: ${answer.body}`).toBe(200);
      }
    });

    it('refuses any other Host, or none, with 421 — what a DNS-rebinding page sends', async () => {
      for (const value of [
        'evil.example',
        `evil.example:${port}`,
        '127.0.0.1',
        `127.0.0.1:${port + 1}`,
        `127.0.0.2:${port}`,
        `localhost.:${port}`,
      ]) {
        const answer = await send([
          head('GET /grants/g-1 HTTP/1.1', [], { hostLine: false }).replace('\r\n', `\r\nHost: ${value}\r\n`),
        ]);
        expectRefused(answer, 421, 'WRONG_HOST');
        expect(errorOf(answer)?.message).toContain(`127.0.0.1:${port}, localhost:${port} or [::1]:${port}`);
      }
      // HTTP/1.0 may leave Host out; /health is behind the Host check too.
      expectRefused(await send(['GET /health HTTP/1.0\r\n\r\n']), 421, 'WRONG_HOST');
      expect(events).toEqual([]);
    });

    it('refuses two Host headers', async () => {
      expectRefused(await send([head('GET /grants/g-1 HTTP/1.1', ['Host: evil.example'])]), 400, 'DUPLICATE_HOST');
    });

    it('wants the per-start token on every API route, health excepted', async () => {
      const missing = await send([head('GET /grants/g-1 HTTP/1.1', [], { token: false })]);
      expectRefused(missing, 401, 'SANDBOX_TOKEN_MISSING');
      expect(errorOf(missing)?.message).toContain("'x-jit-sandbox-token'");
      for (const wrong of ['per-start-toke', 'per-start-token2', 'PER-START-TOKEN', ' ']) {
        const answer = await send([
          head('GET /grants/g-1 HTTP/1.1', [`x-jit-sandbox-token: ${wrong}`], { token: false }),
        ]);
        expectRefused(answer, 401, wrong.trim() === '' ? 'SANDBOX_TOKEN_MISSING' : 'SANDBOX_TOKEN_WRONG');
      }
      // Sent twice, it is not the token.
      expectRefused(
        await send([head('GET /grants/g-1 HTTP/1.1', [`x-jit-sandbox-token: ${TOKEN}`])]),
        401,
        'SANDBOX_TOKEN_WRONG'
      );
      // Unknown routes too: nothing about the API is answered without it.
      expectRefused(await send([head('GET /nowhere HTTP/1.1', [], { token: false })]), 401, 'SANDBOX_TOKEN_MISSING');
      expect(events).toEqual([]);
      expect((await send([head('GET /health HTTP/1.1', [], { token: false })])).status).toBe(200);
    });

    it('never hands the token to a handler', async () => {
      await send([head('GET /grants/g-1 HTTP/1.1')]);
      expect(events).toHaveLength(1);
      expect(Object.keys(events[0]!.headers)).not.toContain('x-jit-sandbox-token');
      expect(JSON.stringify(events[0])).not.toContain(TOKEN);
      expect(events[0]!.requestContext.authorizer).toEqual({ sandbox: { userId: 'alice' } });
    });

    it('refuses web pages of other origins, and never allows one by CORS', async () => {
      for (const origin of [
        'http://evil.example',
        'null',
        `https://127.0.0.1:${port}`,
        `http://127.0.0.1:${port + 1}`,
      ]) {
        expectRefused(await send([head('GET /grants/g-1 HTTP/1.1', [`Origin: ${origin}`])]), 403, 'CROSS_ORIGIN');
      }
      // A preflight is not answered with any Access-Control-* header either.
      const preflight = await send([
        head('OPTIONS /grants/g-1 HTTP/1.1', [
          'Origin: http://evil.example',
          'Access-Control-Request-Method: POST',
          'Access-Control-Request-Headers: x-jit-sandbox-token, x-jit-user',
        ]),
      ]);
      expect(preflight.status).toBeGreaterThanOrEqual(400);
      expect(Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
      // Its own pages (the console at /ui) are same-origin: their Origin is one of its names.
      expect((await send([head('GET /grants/g-1 HTTP/1.1', [`Origin: http://localhost:${port}`])])).status).toBe(200);
    });
  });
});
