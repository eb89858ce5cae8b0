import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRequest } from '../../cli/commands/request.js';
import { runCli } from '../../cli/main.js';
import { credentialsExpiringIn, fakeContext, fakeFetch, grantView, jsonResponse } from './cliFakes.js';

const dir = mkdtempSync(join(tmpdir(), 'jit-templates-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const templatesFile = join(dir, 'templates.json');
writeFileSync(
  templatesFile,
  JSON.stringify({
    templates: {
      'debug-export': {
        role: 'prod-read',
        actions: ['s3:GetObject', 's3:ListBucket'],
        resources: ['arn:aws:s3:::example-bucket', 'arn:aws:s3:::example-bucket/*'],
        for: '1h30m',
        reason: 'debug the nightly export job',
      },
    },
  })
);

const pendingGrant = (body: Record<string, unknown>) => ({
  id: 'g-1',
  state: 'PENDING',
  roleId: body.role,
  durationSeconds: body.durationSeconds,
  requiredApprovals: 1,
  approvers: ['group:sre'],
  approvals: [],
  pendingUntil: '2026-11-23T14:00:00.000Z',
});

describe('jit request', () => {
  it('turns --for into seconds and repeated flags into the task scope', () => {
    const values = {
      action: ['s3:GetObject'],
      resource: ['arn:aws:s3:::b/*'],
      for: '30m',
      reason: 'debug the export job',
      ticket: 'INC-1',
    };
    expect(buildRequest('prod-read', values, undefined)).toEqual({
      role: 'prod-read',
      scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] },
      durationSeconds: 1800,
      reason: 'debug the export job',
      ticket: 'INC-1',
    });
    expect(buildRequest('r', { ...values, for: '2h' }, undefined).durationSeconds).toBe(7200);
    expect(buildRequest('r', { ...values, for: '1h30m' }, undefined).durationSeconds).toBe(5400);
  });

  it('names everything that is missing at once', () => {
    expect(() => buildRequest(undefined, { for: '30m' }, undefined)).toThrow(
      'jit request needs <role>, --action, --resource, --reason'
    );
  });

  it('starts from a template; flags override it', async () => {
    const { fetch, sent } = fakeFetch((request) => jsonResponse(201, pendingGrant(JSON.parse(request.body!))));
    const { context, stdout } = fakeContext({ fetch });
    const code = await runCli(
      ['request', '--template', 'debug-export', '--templates', templatesFile, '--for', '45m', '--ticket', 'INC-9'],
      context
    );
    expect(code).toBe(0);
    expect(JSON.parse(sent[0]!.body!)).toEqual({
      role: 'prod-read',
      scope: {
        actions: ['s3:GetObject', 's3:ListBucket'],
        resources: ['arn:aws:s3:::example-bucket', 'arn:aws:s3:::example-bucket/*'],
      },
      durationSeconds: 2700,
      reason: 'debug the nightly export job',
      ticket: 'INC-9',
    });
    expect(stdout()).toContain('Requested g-1: prod-read for 45m, PENDING — needs 1 approval(s) from group:sre');
  });

  it('names the templates a file has when the one asked for is missing', async () => {
    const { context, stderr } = fakeContext();
    expect(await runCli(['request', '-t', 'nope', '--templates', templatesFile], context)).toBe(1);
    expect(stderr()).toContain("no template 'nope'");
    expect(stderr()).toContain('it has: debug-export');
  });

  it('says every problem of a broken templates file at once, with where it is', async () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(
      broken,
      JSON.stringify({ templates: { a: { role: 'prod-read', actions: [], resources: ['x'], colour: 'red' } } })
    );
    const { context, stderr } = fakeContext();
    expect(await runCli(['request', '-t', 'a', '--templates', broken], context)).toBe(1);
    expect(stderr()).toContain('templates.a.colour: not a setting');
    expect(stderr()).toContain('templates.a.actions: must be a non-empty list of strings');
  });
});

describe('jit request --wait --json', () => {
  const args = ['request', '-t', 'debug-export', '--templates', templatesFile, '--wait', '--json'];
  const broker = () =>
    fakeFetch((request) =>
      request.method === 'POST'
        ? jsonResponse(201, pendingGrant(JSON.parse(request.body!)))
        : jsonResponse(200, pendingGrant({ role: 'prod-read', durationSeconds: 5400 }))
    );

  it('prints the still-pending grant on stdout when --timeout runs out, so a script keeps its id', async () => {
    let clock = Date.parse('2026-11-23T12:00:00Z');
    const { context, stdout, stderr } = fakeContext({
      fetch: broker().fetch,
      now: () => new Date(clock),
      sleep: async (ms) => {
        clock += ms;
      },
    });
    expect(await runCli([...args, '--timeout', '5s'], context)).toBe(6);
    expect(JSON.parse(stdout())).toMatchObject({ id: 'g-1', state: 'PENDING' });
    expect(stderr()).toContain('g-1 is still PENDING after');
  });

  it('prints it on Ctrl-C too (exit 130)', async () => {
    const controller = new AbortController();
    controller.abort();
    const { context, stdout } = fakeContext({ fetch: broker().fetch, interrupted: () => controller.signal });
    expect(await runCli(args, context)).toBe(130);
    expect(JSON.parse(stdout())).toMatchObject({ id: 'g-1', state: 'PENDING' });
  });
});

describe('jit request --exec', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  /** The command's stdout is the terminal's: it exits 7 when it got `key`, 9 otherwise. */
  const argsExpecting = (key: string) => [
    'request',
    '-t',
    'debug-export',
    '--templates',
    templatesFile,
    '--exec',
    '--static',
    '--',
    process.execPath,
    '-e',
    `process.exit(process.env.AWS_ACCESS_KEY_ID === '${key}' ? 7 : 9)`,
  ];
  /** A broker whose answer to the request is `answer`; vends and reads as a live grant's would be. */
  const broker = (answer: Record<string, unknown>) =>
    fakeFetch((request) => {
      if (request.method === 'POST' && request.url.pathname === '/grants') return jsonResponse(201, answer);
      if (request.url.pathname === '/grants/g-1/credentials') {
        return jsonResponse(200, credentialsExpiringIn(3_600_000, now, 'ASIAVENDED'));
      }
      return jsonResponse(200, grantView());
    });
  /** Each test with its own credential cache: the same grant id must not find the last test's session. */
  const contextFor = (fetch: typeof globalThis.fetch, cache: string) =>
    fakeContext({
      fetch,
      env: {
        HOME: dir,
        XDG_CACHE_HOME: join(dir, cache),
        AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
        JIT_API_URL: 'http://127.0.0.1:8787',
        JIT_USER: 'alice',
      },
    });

  it('runs the command with the credentials the request was answered with, and no second call', async () => {
    const { fetch, sent } = broker({
      ...grantView({ vendCount: 1 }),
      credentials: credentialsExpiringIn(3_600_000, now, 'ASIAFIRST'),
    });
    const { context, stderr } = contextFor(fetch, 'cache-seeded');
    expect(await runCli(argsExpecting('ASIAFIRST'), context), stderr()).toBe(7);
    expect(stderr()).toContain('g-1 is ACTIVE');
    const [requested] = sent;
    expect(requested?.url.search).toBe('?credentials=true');
    expect(sent.some((r) => r.url.pathname.endsWith('/credentials'))).toBe(false);
  });

  it('asks again without ?credentials when the broker predates it, then vends as jit exec does', async () => {
    const { fetch, sent } = fakeFetch((request) => {
      if (request.method === 'POST' && request.url.pathname === '/grants') {
        // What a broker from before the one-call request answers: its query schema knows no field.
        return request.url.search === ''
          ? jsonResponse(201, grantView({ id: 'g-1', state: 'APPROVED', vendCount: 0 }))
          : jsonResponse(400, {
              error: { code: 'UNKNOWN_FIELD', message: "invalid query: unknown field 'credentials'" },
            });
      }
      if (request.url.pathname === '/grants/g-1/credentials') {
        return jsonResponse(200, credentialsExpiringIn(3_600_000, now, 'ASIAVENDED'));
      }
      return jsonResponse(200, grantView());
    });
    const { context, stderr } = contextFor(fetch, 'cache-older-broker');
    expect(await runCli(argsExpecting('ASIAVENDED'), context), stderr()).toBe(7);
    expect(stderr()).toContain('this broker does not answer a request with credentials yet');
    const requests = sent.filter((r) => r.method === 'POST' && r.url.pathname === '/grants');
    expect(requests.map((r) => r.url.search)).toEqual(['?credentials=true', '']);
  });

  it('says why an approved grant came without credentials, and vends them as jit exec does', async () => {
    const error = { code: 'STS_THROTTLED', message: 'STS is throttling; try again in a few seconds' };
    const { fetch, sent } = broker({
      ...grantView({ id: 'g-1', state: 'APPROVED', vendCount: 0 }),
      credentialsError: error,
    });
    const { context, stderr } = contextFor(fetch, 'cache-vended');
    expect(await runCli(argsExpecting('ASIAVENDED'), context), stderr()).toBe(7);
    expect(stderr()).toContain('g-1 was approved without its credentials (STS_THROTTLED: STS is throttling');
    expect(sent.filter((r) => r.url.pathname === '/grants/g-1/credentials')).toHaveLength(1);
  });
});
