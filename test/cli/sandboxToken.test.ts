import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrokerClient } from '../../cli/api/brokerClient.js';
import { resolveConfig } from '../../cli/config.js';
import { ApiError, EXIT } from '../../cli/errors.js';
import { findSandboxToken } from '../../cli/sandboxToken.js';
import type { HttpDeps } from '../../functions/handlers/http/httpRoute.js';
import { json } from '../../functions/handlers/http/responses.js';
import { createSandboxServer } from '../../sandbox/sandboxServer.js';
import { newSandboxToken, type PublishedToken, publishSandboxToken } from '../../sandbox/sandboxToken.js';
import { capturingLogger } from '../helpers/fixtures.js';

const API = new URL('http://127.0.0.1:8787');
const noAwsCredentials = async () => {
  throw new Error('the sandbox must not ask for AWS credentials');
};

describe('the CLI finds the sandbox token by itself', () => {
  it('from $JIT_SANDBOX_TOKEN first, else from the file the sandbox on that port wrote', () => {
    const files: Record<string, string> = {
      '/state/jit/sandbox/8787.json': JSON.stringify({ url: 'http://127.0.0.1:8787', token: 'from-file' }),
      '/state/jit/sandbox/9000.json': '{"token": 42}',
    };
    const read = (path: string) => files[path];
    const env = { XDG_STATE_HOME: '/state' };
    expect(findSandboxToken(API, { ...env, JIT_SANDBOX_TOKEN: ' from-env\n' }, read)).toEqual({
      value: 'from-env',
      from: '$JIT_SANDBOX_TOKEN',
    });
    expect(findSandboxToken(API, env, read)).toEqual({ value: 'from-file', from: '/state/jit/sandbox/8787.json' });
    // localhost and [::1] are the same sandbox: the port picks the file.
    expect(findSandboxToken(new URL('http://localhost:8787'), env, read).value).toBe('from-file');
    expect(findSandboxToken(new URL('http://[::1]:9000'), env, read)).toEqual({
      value: undefined,
      from: '$JIT_SANDBOX_TOKEN or /state/jit/sandbox/9000.json',
    });
  });

  describe('against a sandbox server', () => {
    let server: Server;
    let api: URL;
    let stateDir: string;
    let published: PublishedToken;

    beforeAll(async () => {
      const token = newSandboxToken();
      server = createSandboxServer(
        [
          {
            name: 'listGrants',
            method: 'GET',
            path: '/grants',
            auth: 'iam',
            build: () => async () => json(200, { grants: [] }),
          },
        ],
        { logger: capturingLogger().logger } as unknown as HttpDeps,
        { token }
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const { port } = server.address() as AddressInfo;
      api = new URL(`http://localhost:${port}`);
      stateDir = mkdtempSync(join(tmpdir(), 'jit-cli-token-'));
      published = await publishSandboxToken({ env: { XDG_STATE_HOME: stateDir }, url: api.origin, port, token });
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(stateDir, { recursive: true, force: true });
    });

    const listAs = (env: NodeJS.ProcessEnv) =>
      createBrokerClient(resolveConfig({ flags: { api: api.href, as: 'alice' }, env: { HOME: stateDir, ...env } }), {
        fetch,
        credentials: noAwsCredentials,
      })('GET', '/grants');
    const refusal = (env: NodeJS.ProcessEnv) =>
      listAs(env).then(
        () => undefined,
        (error: unknown) => error
      );

    it('uses the token the sandbox wrote, with nothing set by the user', async () => {
      expect(await listAs({ XDG_STATE_HOME: stateDir })).toEqual({ grants: [] });
    });

    it('says where it looked when there is no token', async () => {
      const error = await refusal({ XDG_STATE_HOME: join(stateDir, 'elsewhere') });
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).exitCode).toBe(EXIT.refused);
      expect((error as ApiError).message).toBe(
        `the sandbox at ${api.origin} wants its token: start it with npm start, or set JIT_SANDBOX_TOKEN (no token in $JIT_SANDBOX_TOKEN or ${join(stateDir, 'elsewhere', 'jit', 'sandbox', `${api.port}.json`)}) [401 SANDBOX_TOKEN_MISSING]`
      );
    });

    it('says the token is from another start when it is wrong', async () => {
      const error = await refusal({ XDG_STATE_HOME: stateDir, JIT_SANDBOX_TOKEN: 'from-yesterday' });
      expect((error as ApiError).message).toBe(
        `the sandbox at ${api.origin} wants its token: start it with npm start, or set JIT_SANDBOX_TOKEN (the token from $JIT_SANDBOX_TOKEN is not this sandbox's; it changes at every start) [401 SANDBOX_TOKEN_WRONG]`
      );
      expect(published.path).toContain(stateDir);
    });

    it('sends the token with a CI job’s bearer token too, and never to a deployed API', async () => {
      const sent: Headers[] = [];
      const recording = (async (_url: URL, init: RequestInit) => {
        sent.push(new Headers(init.headers));
        return new Response('{}', { status: 200 });
      }) as unknown as typeof fetch;
      await createBrokerClient(
        { apiUrl: api, mode: 'sandbox', sandboxToken: { value: 'tok', from: 'x' } },
        { fetch: recording, credentials: noAwsCredentials }
      )('POST', '/ci/credentials', { bearer: 'job.token' });
      await createBrokerClient(
        { apiUrl: new URL('https://abc.execute-api.eu-west-1.amazonaws.com'), mode: 'aws', region: 'eu-west-1' },
        { fetch: recording, credentials: noAwsCredentials }
      )('POST', '/ci/credentials', { bearer: 'job.token' });
      expect(sent.map((h) => [h.get('x-jit-sandbox-token'), h.get('authorization')])).toEqual([
        ['tok', 'Bearer job.token'],
        [null, 'Bearer job.token'],
      ]);
    });
  });
});
