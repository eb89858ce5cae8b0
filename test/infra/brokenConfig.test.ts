import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config/loadConfig.js';

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
});
