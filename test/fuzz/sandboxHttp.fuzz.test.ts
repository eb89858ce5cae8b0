import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type Route } from '../../functions/handlers/routes.js';
import { localDynamo } from '../../sandbox/localAws.js';
import { loopbackHosts } from '../../sandbox/loopbackGate.js';
import { grantRequest } from '../helpers/apiServer.js';
import { errorOf, type RawAnswer, rawRequest, requestHead } from '../helpers/rawHttp.js';
import { callApi, interrupt, type SandboxProcess, startSandboxProcess } from '../helpers/sandboxProcess.js';
import { type Defect, defectFor, expectProperRefusal, PLAUSIBLE_BODY } from './badInput.js';
import { seeded } from './seeded.js';

/**
 * The HTTP tier of the fuzz suite: generated hostile requests, written byte for byte to a running
 * sandbox process (`npm start`, DynamoDB Local and all). Malformed framing, targets, escapes,
 * encodings, bodies that stop, trickle or break, oversized headers, wrong Host, missing or wrong
 * token — and every route's bad-input sweep (badInput.ts) over real HTTP. Each must be answered
 * with a 4xx `{error:{code,message}}` within a per-request bound (a vanished client: nothing to
 * answer), store nothing, and leave the process serving.
 */
const PER_REQUEST_MS = 5_000;
const USERS = ['alice', 'bob', 'dave', 'carol'] as const;

/** Bytes as they go on the wire; text as UTF-8, so an unpaired surrogate arrives as U+FFFD, as from any client. */
const percentEncode = (text: string): string =>
  [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`
    )
    .join('');

/** A percent-escape that does not decode to UTF-8. */
const badEscape = fc.constantFrom('%', '%A', '%G1', '%C3%28', '%E0%A4%A', '%FF', '%ED%A0%80');
/** Header-safe printable ASCII: what a client may put in a header value without breaking the framing. */
const printable = fc.string({
  unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
  maxLength: 40,
});

describe('the sandbox process under hostile HTTP (seeded)', () => {
  let sandbox: SandboxProcess;
  let port: number;
  let grantIds: string[];
  let stored: number;
  let dynamo: ReturnType<typeof localDynamo>;

  const itemCount = async () =>
    (await dynamo.send(new ScanCommand({ TableName: sandbox.ready.table, Select: 'COUNT' }))).Count ?? 0;

  beforeAll(async () => {
    sandbox = await startSandboxProcess(['--in-memory']);
    port = Number(new URL(sandbox.ready.api).port);
    dynamo = localDynamo(sandbox.ready.dynamodb);
    grantIds = [];
    for (const role of ['prod-read', 'staging-deploy']) {
      const created = await callApi(sandbox.ready, 'alice', 'POST', '/grants', grantRequest({ role }));
      expect(created.status).toBe(201);
      grantIds.push(created.body.id as string);
    }
    stored = await itemCount();
  }, 120_000);
  afterAll(async () => {
    dynamo?.destroy();
    if (sandbox) await interrupt(sandbox.child);
  });

  const head = requestHead;
  const hostLine = () => `Host: 127.0.0.1:${port}`;
  const tokenLine = () => `x-jit-sandbox-token: ${sandbox.ready.token}`;

  /** The answer is a proper refusal, or — only for a client that hung up — no answer; nothing was stored. */
  const expectRefusedAndNothingStored = async (what: string, answer: RawAnswer, hungUp = false) => {
    expect(answer.timedOut, `${what}: no answer within ${PER_REQUEST_MS} ms`).toBe(false);
    if (!hungUp) {
      expect(answer.status, `${what}: the connection closed without an answer`).toBeDefined();
      expectProperRefusal(what, answer.status, answer.body);
      expect(answer.headers['access-control-allow-origin'], what).toBeUndefined();
    }
    expect(sandbox.child.exitCode, `${what} stopped the sandbox:\n${sandbox.output()}`).toBeNull();
    const now = await itemCount();
    expect(now, `${what} stored something`).toBe(stored);
  };

  /** One hostile request at the HTTP layer: what is sent, and whether the client hangs up after it. */
  interface RawCase {
    readonly name: string;
    readonly parts: (string | Buffer)[];
    readonly hangUp?: boolean;
  }

  const rawCases = (): fc.Arbitrary<RawCase> => {
    const id = fc.constantFrom(...grantIds);
    const approve = id.map((g) => `POST /grants/${g}/approve HTTP/1.1`);
    const good = () => [hostLine(), tokenLine(), 'x-jit-user: bob', 'Connection: close'];
    return fc.oneof(
      // A request target that is not a path the sandbox has, or not a target at all.
      fc
        .tuple(
          fc.constantFrom(
            '',
            '/',
            '//',
            '/grants/',
            'http://',
            'http://[',
            '*',
            '/%',
            '/grants/%',
            'HTTP://127.0.0.1:1/'
          ),
          fc.string({ unit: 'binary', maxLength: 30 })
        )
        .map(([prefix, rest]) => ({
          name: 'malformed target',
          parts: [
            Buffer.from(
              `POST ${prefix}${rest} HTTP/1.1\r\n${good().join('\r\n')}\r\nContent-Length: 0\r\n\r\n`,
              'utf8'
            ),
          ],
        })),
      // A path parameter with an escape that does not decode, on any route that has one.
      fc
        .tuple(fc.constantFrom(...ROUTES.filter((r) => r.path.includes('{'))), badEscape, printable.map(percentEncode))
        .map(([route, bad, tail]) => ({
          name: `bad escape on ${route.name}`,
          parts: [
            head(`${route.method} ${route.path.replace(/\{\w+\}/, `g-${bad}${tail}`)} HTTP/1.1`, [
              ...good(),
              'Content-Length: 0',
            ]),
          ],
        })),
      // Bodies in encodings the API does not take: not UTF-8, UTF-16, compressed, mislabelled.
      fc
        .tuple(
          approve,
          fc.constantFrom(
            Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
            Buffer.from('{"comment":"caf\xe9 latin1"}', 'latin1'),
            Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00]),
            Buffer.concat([Buffer.from('{"comment":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
            Buffer.from('{"comment":"\xed\xa0\x80"}', 'latin1')
          ),
          fc.constantFrom(
            'application/json',
            'application/json; charset=latin1',
            'application/json; charset=utf-16',
            'text/plain'
          ),
          fc.boolean()
        )
        .map(([line, body, type, gzip]) => ({
          name: 'mis-encoded body',
          parts: [
            head(line, [
              ...good(),
              `Content-Type: ${type}`,
              ...(gzip ? ['Content-Encoding: gzip'] : []),
              `Content-Length: ${body.length}`,
            ]),
            body,
          ],
        })),
      // A client that stops in the middle of its body and disconnects.
      fc.tuple(approve, fc.integer({ min: 1, max: 5000 }), fc.nat({ max: 20 })).map(([line, declared, sent]) => ({
        name: 'aborted body',
        parts: [
          head(line, [...good(), 'Content-Type: application/json', `Content-Length: ${declared + sent + 1}`]),
          '{"comment":"x'.slice(0, sent),
        ],
        hangUp: true,
      })),
      // Chunked bodies with broken framing: sizes that are not hex, lie, or never end properly.
      fc
        .tuple(
          approve,
          fc.constantFrom(
            'zz\r\n{}\r\n0\r\n\r\n',
            '2\r\n{}}\r\n0\r\n\r\n',
            '-1\r\n{}\r\n',
            '2 ;\r\n{}\r\n0\r\n\r\n',
            '2\n{}\n0\n\n',
            'fffffffffffffffff\r\n',
            '2\r\n{}0\r\n\r\n'
          )
        )
        .map(([line, chunks]) => ({
          name: 'broken chunked body',
          parts: [head(line, [...good(), 'Content-Type: application/json', 'Transfer-Encoding: chunked']), chunks],
        })),
      // Request smuggling shapes: two lengths, length and chunked, obfuscated Transfer-Encoding.
      fc
        .tuple(
          approve,
          fc.constantFrom(
            ['Content-Length: 2', 'Content-Length: 3'],
            ['Content-Length: 2', 'Transfer-Encoding: chunked'],
            ['Transfer-Encoding: xchunked'],
            ['Transfer-Encoding: chunked', 'Transfer-Encoding: identity'],
            ['Transfer-Encoding : chunked'],
            ['Content-Length: +2'],
            ['Content-Length: 0x2']
          )
        )
        .map(([line, framing]) => ({
          name: `smuggling shape ${framing.join(' + ')}`,
          parts: [head(line, [...good(), ...framing]), '{}\r\n0\r\n\r\n'],
        })),
      // Headers over Node's limit: one huge, or very many.
      fc
        .oneof(
          fc.integer({ min: 17_000, max: 40_000 }).map((n) => [`X-Big: ${'a'.repeat(n)}`]),
          fc
            .integer({ min: 1_000, max: 3_000 })
            .map((n) => Array.from({ length: n }, (_, i) => `X-H${i}: ${'v'.repeat(16)}`))
        )
        .map((extra) => ({ name: 'oversized headers', parts: [head('GET /grants HTTP/1.1', [...good(), ...extra])] })),
      // A Host that is not the sandbox's own name and port: DNS rebinding, or none at all.
      printable
        .filter((host) => !loopbackHosts(port).has(host.trim().toLowerCase()))
        .map((host) => ({
          name: `wrong Host '${host}'`,
          parts: [head('GET /grants HTTP/1.1', [`Host: ${host}`, tokenLine(), 'x-jit-user: alice'])],
        })),
      fc.constant<RawCase>({ name: 'no Host (HTTP/1.0)', parts: [head('GET /health HTTP/1.0', [tokenLine()])] }),
      // The token missing, or not this start's.
      fc
        .option(
          printable.filter((t) => t.trim() !== sandbox.ready.token),
          { nil: undefined }
        )
        .map((token) => ({
          name: token === undefined ? 'no token' : `wrong token '${token}'`,
          parts: [
            head('GET /grants HTTP/1.1', [
              hostLine(),
              ...(token === undefined ? [] : [`x-jit-sandbox-token: ${token}`]),
              'x-jit-user: alice',
            ]),
          ],
        })),
      // A web page of another origin.
      printable.map((origin) => ({
        name: `Origin 'http://${origin}'`,
        parts: [head('GET /grants HTTP/1.1', [...good(), `Origin: http://evil.${origin.replace(/\s/g, '')}`])],
      }))
    );
  };

  it('answers every malformed, mis-encoded, broken or unauthorised request with a 4xx, and keeps serving', {
    timeout: 120_000,
  }, async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(rawCases(), async (c) => {
        const answer = await rawRequest(port, c.parts, {
          timeoutMs: PER_REQUEST_MS,
          ...(c.hangUp ? { hangUp: true } : {}),
        });
        await expectRefusedAndNothingStored(c.name, answer, c.hangUp);
        const kind = c.name.split(' ')[0] ?? c.name;
        seen.set(kind, (seen.get(kind) ?? 0) + 1);
      }),
      seeded(150)
    );
    expect(seen.size, JSON.stringify([...seen])).toBeGreaterThanOrEqual(9);
  });

  /** What a defect from the shared sweep looks like on the wire. */
  const wire = (route: Route, user: string, id: string, defect: Defect): (string | Buffer)[] => {
    const param = defect.kind === 'path' ? defect.value : route.path.includes('{kind}') ? 'summary' : id;
    const path = route.path.replace(/\{\w+\}/, percentEncode(param));
    const query = defect.kind === 'query' ? `?${percentEncode(defect.key)}=${percentEncode(defect.value)}` : '';
    const body = Buffer.from(
      defect.kind === 'body'
        ? defect.base64
          ? Buffer.from(defect.text).toString('base64')
          : defect.text
        : route.method === 'POST'
          ? JSON.stringify(PLAUSIBLE_BODY[route.name] ?? {})
          : '',
      'utf8'
    );
    const contentType = defect.kind === 'body' ? defect.contentType : 'application/json';
    return [
      head(`${route.method} ${path}${query} HTTP/1.1`, [
        hostLine(),
        tokenLine(),
        ...(defect.kind === 'anonymous' ? [] : [`x-jit-user: ${user}`]),
        'authorization: Bearer not.a.token',
        ...(contentType === '' ? [] : [`Content-Type: ${contentType}`]),
        `Content-Length: ${body.length}`,
        'Connection: close',
      ]),
      body,
    ];
  };

  it('sweeps every route with bad input over real HTTP: 4xx, nothing stored, never a hang', {
    timeout: 120_000,
  }, async () => {
    const cases = fc.constantFrom(...ROUTES.filter((route) => route.name !== 'health')).chain((route) =>
      fc.record({
        route: fc.constant(route),
        user: fc.constantFrom(...USERS),
        id: fc.constantFrom(...grantIds),
        defect: defectFor(route),
      })
    );
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(cases, async ({ route, user, id, defect }) => {
        // Over HTTP a body of exactly `{}` is a well-formed request for routes that take an empty body: not a defect.
        fc.pre(
          !(
            defect.kind === 'body' &&
            !defect.base64 &&
            defect.text === JSON.stringify(PLAUSIBLE_BODY[route.name] ?? {})
          )
        );
        const answer = await rawRequest(port, wire(route, user, id, defect), { timeoutMs: PER_REQUEST_MS });
        await expectRefusedAndNothingStored(
          `${route.method} ${route.path} with ${JSON.stringify(defect).slice(0, 200)}`,
          answer
        );
        seen.add(route.name);
      }),
      seeded(150)
    );
    expect([...seen].sort()).toEqual(
      ROUTES.filter((r) => r.name !== 'health')
        .map((r) => r.name)
        .sort()
    );
    // Still up and serving at the end: health answers, and a real request still works.
    expect((await rawRequest(port, [head('GET /health HTTP/1.1', [hostLine(), 'Connection: close'])])).status).toBe(
      200
    );
    expect((await callApi(sandbox.ready, 'alice', 'GET', `/grants/${grantIds[0]}`)).status).toBe(200);
    expect(
      errorOf(await rawRequest(port, [head('GET /grants HTTP/1.1', [hostLine(), 'Connection: close'])]))?.code
    ).toBe('SANDBOX_TOKEN_MISSING');
  });
});
