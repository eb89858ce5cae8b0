import type { VendedCredentials } from '../../cli/api/brokerApi.js';
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
export { brokerError, credentialsExpiringIn, fakeContext, fakeFetch, jsonResponse, recordingIo };
