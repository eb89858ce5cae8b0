import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { HttpDeps } from '../../functions/handlers/http/httpRoute.js';
import { quickStart } from '../../sandbox/quickStart.js';
import type { Sandbox } from '../../sandbox/startSandbox.js';
import { exampleConfig } from '../helpers/fixtures.js';

const TOKEN = 'abcDEF_123-xyz';

const sandboxWith = async (awsEndpoint?: string): Promise<Sandbox> =>
  ({
    apiUrl: 'http://127.0.0.1:8787',
    dynamoEndpoint: 'http://127.0.0.1:8000',
    tableName: 'jit-broker',
    table: 'created',
    access: awsEndpoint ? { mode: 'emulator', awsEndpoint } : { mode: 'none' },
    token: TOKEN,
    tokenFile: '/home/ann/.local/state/jit/sandbox/8787.json',
    deps: { config: await exampleConfig() } as HttpDeps,
  }) as Sandbox;

/** The names an `export A=… B=…` line sets, in order. */
const exported = (line: string) => [...line.matchAll(/\b([A-Z_]+)=/g)].map((m) => m[1]);

describe('the quick start npm start prints', () => {
  it('exports the token with the addresses, the same variables as the README walkthrough', async () => {
    const text = quickStart(await sandboxWith('http://127.0.0.1:5000'), '.sandbox/data');
    const line =
      text
        .split('\n')
        .find((l) => l.trim().startsWith('export API='))
        ?.trim() ?? '';
    expect(line).toBe(
      `export API=http://127.0.0.1:8787 JIT_SANDBOX_TOKEN=${TOKEN} EMU=http://127.0.0.1:5000 AWS_DEFAULT_REGION=us-east-1`
    );
    const readmeLine = readFileSync('README.md', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('export API='));
    expect(exported(readmeLine ?? '')).toEqual(exported(line));
    expect(text).toContain('/home/ann/.local/state/jit/sandbox/8787.json');
  });

  it('sends the token with every curl it shows', async () => {
    for (const endpoint of ['http://127.0.0.1:5000', undefined]) {
      const curls = quickStart(await sandboxWith(endpoint), undefined)
        .split('\n')
        .filter((l) => l.trim().startsWith('curl '));
      expect(curls.length).toBeGreaterThanOrEqual(6);
      for (const curl of curls) expect(curl).toContain('-H "x-jit-sandbox-token: $JIT_SANDBOX_TOKEN"');
    }
  });
});
