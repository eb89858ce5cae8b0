import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config/loadConfig.js';
import { buildBrokerApp } from '../../infra/brokerApp.js';

describe('synth with a broken configuration', () => {
  it('fails with every problem loadConfig reports, and writes no template', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jit-broken-config-'));
    cpSync('config', dir, { recursive: true });
    const catalog = JSON.parse(readFileSync('config/catalog.json', 'utf8'));
    catalog.roles[0].roleArn = 'not-an-arn';
    catalog.roles[1].maxDuration = 'forever';
    writeFileSync(join(dir, 'catalog.json'), JSON.stringify(catalog));
    writeFileSync(join(dir, 'groups.json'), '{ not json');
    const expected = await loadConfig(dir).then(
      () => undefined,
      (error: Error) => error.message
    );
    expect(expected).toMatch(/^invalid broker configuration:\n/);

    const outdir = mkdtempSync(join(tmpdir(), 'jit-broken-out-'));
    const synth = spawnSync(resolve('node_modules/.bin/tsx'), ['infra/app.ts'], {
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ configDir: dir }) },
      encoding: 'utf8',
    });
    expect(synth.status).toBe(1);
    expect(synth.stderr).toContain(expected);
    expect(synth.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses a CI issuer on this machine (a test issuer), before any stack is built', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jit-loopback-issuer-'));
    cpSync('config', dir, { recursive: true });
    const ci = JSON.parse(readFileSync('config/ci.json', 'utf8'));
    ci.issuers.push({
      id: 'local-ci',
      issuer: 'http://127.0.0.1:4567',
      audience: 'jit-broker.test',
      platform: 'github',
    });
    writeFileSync(join(dir, 'ci.json'), JSON.stringify(ci));
    expect(await loadConfig(dir)).toBeDefined(); // the sandbox and the tests may trust it
    await expect(buildBrokerApp({ configDir: dir, nag: false })).rejects.toThrow(
      "ci.json: issuer 'local-ci' (http://127.0.0.1:4567) is on this machine; loopback issuers are for the sandbox and tests, never a deployed broker"
    );
  });
});
