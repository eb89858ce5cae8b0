import type { GrantView, VendedCredentials } from '../../cli/api/brokerApi.js';
import type { CliContext } from '../../cli/context.js';
import type { Io } from '../../cli/output.js';

/** An Io that records what the CLI printed. */
const recordingIo = (interactive = false) => {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    interactive,
    progress: (text) => err.push(`[progress] ${text}`),
  };
  return { io, out, err, stdout: () => out.join('\n'), stderr: () => err.join('\n') };
};

interface SentRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** A fetch that answers from `reply` and records every request it was given. */
const fakeFetch = (reply: (request: SentRequest) => Response | Promise<Response>) => {
  const sent: SentRequest[] = [];
  const fetchImpl = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const request: SentRequest = {
      method: init.method ?? 'GET',
      url: new URL(String(input)),
      headers: { ...(init.headers as Record<string, string>) },
      ...(typeof init.body === 'string' ? { body: init.body } : {}),
    };
    sent.push(request);
    return reply(request);
  }) as typeof fetch;
  return { fetch: fetchImpl, sent };
};

const jsonResponse = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const brokerError = (status: number, code: string, message: string) =>
  jsonResponse(status, { error: { code, message } });

const credentialsExpiringIn = (ms: number, now: Date, key = 'ASIAFRESH'): VendedCredentials => ({
  Version: 1,
  AccessKeyId: key,
  SecretAccessKey: `secret-of-${key}`,
  SessionToken: `token-of-${key}`,
  Expiration: new Date(now.getTime() + ms).toISOString(),
});

/** An ACTIVE grant of alice's as GET /grants/{id} shows it, running until `expiresAt`. */
const grantView = (overrides: Partial<GrantView> = {}): GrantView =>
  ({
    id: 'g-1',
    requester: 'alice',
    roleId: 'prod-read',
    roleArn: 'arn:aws:iam::123456789012:role/prod-read',
    accountId: '123456789012',
    scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] },
    durationSeconds: 7200,
    reason: 'debug the nightly export job',
    state: 'ACTIVE',
    version: 3,
    createdAt: '2026-11-23T11:00:00.000Z',
    pendingUntil: '2026-11-23T12:00:00.000Z',
    approvers: ['bob'],
    requiredApprovals: 1,
    approvals: [{ by: 'bob', at: '2026-11-23T11:05:00.000Z' }],
    approvedAt: '2026-11-23T11:05:00.000Z',
    expiresAt: '2026-11-23T13:05:00.000Z',
    catalogVersion: 'test',
    sessionPolicy: '{}',
    privilegeWidth: 1,
    vendCount: 1,
    ...overrides,
  }) as GrantView;

/** What `jit revoke g-1 --reason "incident 42"` by dave leaves behind. */
const revokedByDave = (grant: GrantView, at = '2026-11-23T12:00:10.000Z'): GrantView => ({
  ...grant,
  state: 'REVOKED',
  endedAt: at,
  endedBy: 'dave',
  endReason: 'incident 42',
});

/**
 * A broker for one grant over fakeFetch: GET /grants/{id} shows `grant`, POST …/credentials vends
 * a one-hour session while it is live (409 GRANT_ENDED after), and `reachable = false` makes every
 * request fail like a refused connection. Counts what it was asked.
 */
const fakeBroker = (options: { now: () => Date; grant?: GrantView }) => {
  const state = { grant: options.grant ?? grantView(), reachable: true, gets: 0, vends: 0 };
  const refused = Object.assign(new TypeError('fetch failed'), {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  });
  const { fetch, sent } = fakeFetch((request) => {
    if (!state.reachable) throw refused;
    const path = `/grants/${state.grant.id}`;
    if (request.method === 'GET' && request.url.pathname === path) {
      state.gets += 1;
      return jsonResponse(200, state.grant);
    }
    if (request.method === 'POST' && request.url.pathname === `${path}/credentials`) {
      if (state.grant.state !== 'ACTIVE' && state.grant.state !== 'APPROVED') {
        return brokerError(
          409,
          'GRANT_ENDED',
          `grant ${state.grant.id} is ${state.grant.state}; request access again if you still need it`
        );
      }
      state.vends += 1;
      return jsonResponse(200, credentialsExpiringIn(3_600_000, options.now(), `ASIAVEND${state.vends}`));
    }
    return brokerError(404, 'NOT_FOUND', `no route ${request.method} ${request.url.pathname}`);
  });
  return { state, fetch, sent };
};

/** A context wired to fakes: no network, no real AWS credentials, a fixed clock. */
const fakeContext = (overrides: Partial<CliContext> & { env?: NodeJS.ProcessEnv } = {}) => {
  const recorder = recordingIo();
  const context: CliContext = {
    io: recorder.io,
    env: { HOME: '/nonexistent-home', JIT_API_URL: 'http://127.0.0.1:8787', JIT_USER: 'alice' },
    now: () => new Date('2026-11-23T12:00:00Z'),
    sleep: async () => {},
    interrupted: () => new AbortController().signal,
    fetch: (async () => {
      throw new Error('no network in this test');
    }) as typeof fetch,
    federation: {
      getSigninToken: async () => {
        throw new Error('no federation in this test');
      },
    },
    launcherPath: '/opt/jit broker/cli/bin/jit.mjs',
    signingCredentials: () => async () => ({
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    }),
    ...overrides,
  };
  return { context, ...recorder };
};

export type { SentRequest };
export {
  brokerError,
  credentialsExpiringIn,
  fakeBroker,
  fakeContext,
  fakeFetch,
  grantView,
  jsonResponse,
  recordingIo,
  revokedByDave,
};
