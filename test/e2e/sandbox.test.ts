import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { grantRequest } from '../helpers/apiServer.js';
import { callApi, interrupt, runUntilExit, startSandboxProcess } from '../helpers/sandboxProcess.js';

const isListening = async (endpoint: string): Promise<boolean> => {
  try {
    await fetch(endpoint, { method: 'POST' });
    return true;
  } catch {
    return false;
  }
};

describe('npm start (the sandbox process)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jit-sandbox-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  // Two sandbox starts (DynamoDB Local and moto_server each time): 17-29 s measured alone, more
  // under the whole suite's load. The limit is about hanging, not speed.
  it('serves the API, stops DynamoDB Local on Ctrl-C, and keeps grants in its data dir', {
    timeout: 90_000,
  }, async () => {
    const first = await startSandboxProcess(['--data-dir', dataDir]);
    expect(first.ready.access).toBe('emulator');
    // The token where the jit CLI looks for it, for this user's eyes only.
    expect(first.ready.tokenFile).toBe(join(first.stateDir, 'jit', 'sandbox', `${new URL(first.ready.api).port}.json`));
    expect(statSync(first.ready.tokenFile).mode & 0o777).toBe(0o600);
    expect(statSync(join(first.stateDir, 'jit', 'sandbox')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(first.ready.tokenFile, 'utf8'))).toMatchObject({
      url: first.ready.api,
      token: first.ready.token,
    });
    const created = (await callApi(first.ready, 'alice', 'POST', '/grants', grantRequest())).body as { id: string };
    const approved = await callApi(first.ready, 'bob', 'POST', `/grants/${created.id}/approve`);
    expect(approved.status).toBe(200);
    expect(await interrupt(first.child)).toBe(0);
    expect(await isListening(first.ready.dynamodb)).toBe(false);

    const second = await startSandboxProcess(['--data-dir', dataDir]);
    try {
      // A new start, a new token: the first one no longer opens anything.
      expect(second.ready.token).not.toBe(first.ready.token);
      expect((await callApi({ ...second.ready, token: first.ready.token }, 'alice', 'GET', '/grants')).status).toBe(
        401
      );
      const seen = await callApi(second.ready, 'alice', 'GET', `/grants/${created.id}`);
      expect(seen.body.state).toBe('APPROVED');
    } finally {
      expect(await interrupt(second.child)).toBe(0);
    }
  });

  it('refuses to start on a broken catalog, naming every problem and the file', async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'jit-config-'));
    try {
      cpSync('config', configDir, { recursive: true });
      writeFileSync(
        join(configDir, 'catalog.json'),
        JSON.stringify({
          schemaVersion: 1,
          version: 'broken',
          roles: [
            {
              id: 'Bad Id',
              description: 'x',
              roleArn: 'not-an-arn',
              maxDuration: '2d',
              scopeCeiling: { actions: ['s3:GetObject'], resources: ['*'] },
              approval: { approvers: ['group:nobody'], required: 1, pendingWindow: '1h' },
            },
          ],
        })
      );
      const { code, output } = await runUntilExit(['--in-memory', '--config-dir', configDir]);
      expect(code).toBe(1);
      expect(output).toContain('catalog.json: roles[0].id');
      expect(output).toContain('catalog.json: roles[0].roleArn');
      expect(output).toContain('catalog.json: roles[0].maxDuration');
      expect(output).not.toContain('"ready":true');
    } finally {
      rmSync(configDir, { recursive: true, force: true });
    }
  });

  // Two sandbox starts (one refused, one serving): as slow as the first test's under the suite's load.
  it('refuses to start on a broken policy file, naming file and line; a fixed edit changes behaviour', {
    timeout: 90_000,
  }, async () => {
    const configDir = mkdtempSync(join(tmpdir(), 'jit-config-'));
    try {
      cpSync('config', configDir, { recursive: true });
      writeFileSync(
        join(configDir, 'policies', 'extra.cedar'),
        '// staging reads\n@id("broken")\npermit (principal, action, resource)\nwhen { context. };\n'
      );
      const broken = await runUntilExit(['--in-memory', '--config-dir', configDir]);
      expect(broken.code).toBe(1);
      expect(broken.output).toContain('policies/extra.cedar:4:17: unexpected token');
      expect(broken.output).not.toContain('"ready":true');

      // The same directory with the rule fixed: prod-read now needs a ticket too.
      writeFileSync(
        join(configDir, 'policies', 'extra.cedar'),
        '@id("prod-read-needs-ticket")\n@reason("prod-read needs a ticket now")\nforbid (principal, action == Jit::Action::"request", resource == Jit::Role::"prod-read")\nunless { context.ticket != "" };\n'
      );
      const fixed = await startSandboxProcess(['--in-memory', '--config-dir', configDir]);
      try {
        const answer = await callApi(fixed.ready, 'alice', 'POST', '/grants', grantRequest());
        expect(answer.status).toBe(403);
        expect(JSON.stringify(answer.body)).toContain('prod-read needs a ticket now');
      } finally {
        expect(await interrupt(fixed.child)).toBe(0);
      }
    } finally {
      rmSync(configDir, { recursive: true, force: true });
    }
  });
});
