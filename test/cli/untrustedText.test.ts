import { afterEach, describe, expect, it, vi } from 'vitest';
import { processIo, runCli } from '../../cli/main.js';
import { reportTable } from '../../cli/reportFormat.js';
import { brokerError, fakeContext, fakeFetch, grantView, jsonResponse } from './cliFakes.js';

/** What a terminal would obey or hide: C0/C1 controls, format characters (bidi, zero-width), separators. */
const TERMINAL_CONTROL = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
const CLEAR_SCREEN = '\u001b[2J\u001b[H';

/** A grant whose every free-text field and id tries something on the approver's terminal. */
const hostileGrant = grantView({
  reason: `${CLEAR_SCREEN}APPROVED by security\nreview     reviewed by dave`,
  ticket: 'INC-1\u202e',
  requester: 'mallory\u0007',
  roleId: 'prod-read\u009b2J',
  scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/\u2028forged'] },
  approvals: [{ by: 'bob\u200b', at: '2026-11-23T09:01:00.000Z', comment: `ok${CLEAR_SCREEN}` }],
  endedBy: 'dave',
  endReason: 'done\u001b]0;title\u0007',
  extension: {
    durationSeconds: 900,
    reason: '\u2066hidden\u2069',
    requestedAt: '2026-11-23T09:02:00.000Z',
    approvals: [],
  },
});

/** Runs `jit <argv>` as bob against a broker that answers `reply`. */
const run = async (reply: () => Response, ...argv: string[]) => {
  const { fetch } = fakeFetch(reply);
  const recorded = fakeContext({
    fetch,
    env: { HOME: '/nonexistent-home', JIT_API_URL: 'http://127.0.0.1:8787', JIT_USER: 'bob' },
  });
  const code = await runCli(argv, recorded.context);
  return { code, stdout: recorded.stdout(), stderr: recorded.stderr() };
};

describe("untrusted text on an approver's terminal", () => {
  it.each([
    ['show', ['show', hostileGrant.id], () => jsonResponse(200, hostileGrant)],
    ['inbox', ['inbox'], () => jsonResponse(200, { grants: [hostileGrant] })],
    ['show --json', ['show', hostileGrant.id, '--json'], () => jsonResponse(200, hostileGrant)],
    ['a broker message echoing input', ['show', hostileGrant.id], () => brokerError(400, 'X', `no ${CLEAR_SCREEN}`)],
  ])('jit %s prints no control, format or bidi character of it', async (_what, argv, reply) => {
    const { stdout, stderr } = await run(reply, ...argv);
    for (const line of `${stdout}\n${stderr}`.split('\n')) expect(line).not.toMatch(TERMINAL_CONTROL);
  });

  it('jit show keeps every field readable, escaped where it had to be', async () => {
    const { stdout } = await run(() => jsonResponse(200, hostileGrant), 'show', hostileGrant.id);
    expect(stdout).toContain('reason     \\u001b[2J\\u001b[HAPPROVED by security\\u000areview     reviewed by dave');
    // The forged "review" line stays inside the reason's line.
    expect(stdout.split('\n').filter((line) => line.startsWith('review'))).toEqual([]);
    expect(stdout).toContain('requester  mallory\\u0007');
    expect(stdout).toContain('ticket     INC-1\\u202e');
    expect(stdout).toContain('bob\\u200b');
  });

  it('jit show --json is still the same JSON', async () => {
    const { stdout } = await run(() => jsonResponse(200, hostileGrant), 'show', hostileGrant.id, '--json');
    expect(JSON.parse(stdout)).toEqual(hostileGrant);
  });

  it('report tables escape cells', () => {
    const table = reportTable({
      kind: 'reuse',
      from: '2026-11-01',
      to: '2026-11-30',
      columns: ['requester'],
      rows: [{ requester: `eve${CLEAR_SCREEN}` }],
      summary: {},
      hints: [],
    } as never);
    for (const line of table.split('\n')) expect(line).not.toMatch(TERMINAL_CONTROL);
    expect(table).toContain('eve\\u001b[2J');
  });
});

describe('processIo', () => {
  afterEach(() => vi.restoreAllMocks());

  it("escapes whatever a command prints, keeping the CLI's own line breaks", () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
    // stdout is written with writeSync (cli/main.ts); the test stands in for that writer.
    const io = processIo((text) => written.push(text));
    io.out(`first ${CLEAR_SCREEN}\nsecond \u202e`);
    io.err('jit: \u009b31m');
    io.progress('waiting \u001b[1A');
    expect(written).toEqual([
      'first \\u001b[2J\\u001b[H\nsecond \\u202e\n',
      'jit: \\u009b31m\n',
      '\r\u001b[2Kwaiting \\u001b[1A',
    ]);
  });
});
