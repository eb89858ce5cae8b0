import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { fakeBroker, fakeContext, grantView } from './cliFakes.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('jit exec with no command', () => {
  it('starts $SHELL marked with JIT_GRANT_ID and --region, and warns when nested in another jit exec', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jit-exec-shell-'));
    dirs.push(dir);
    const seen = join(dir, 'seen');
    const shell = join(dir, 'fake-shell');
    // A "shell" that records what it was started with, then exits 5.
    writeFileSync(shell, `#!/bin/sh\necho "$# $JIT_GRANT_ID $AWS_REGION $AWS_DEFAULT_REGION" > '${seen}'\nexit 5\n`);
    chmodSync(shell, 0o755);
    const now = () => new Date('2026-11-23T12:00:00Z');
    const broker = fakeBroker({ now, grant: grantView({ expiresAt: '2026-11-23T14:00:00Z' }) });
    const { context, stderr } = fakeContext({
      fetch: broker.fetch,
      now,
      env: {
        HOME: dir,
        XDG_CACHE_HOME: join(dir, 'cache'),
        JIT_API_URL: 'http://127.0.0.1:8787',
        JIT_USER: 'alice',
        PATH: process.env.PATH,
        SHELL: shell,
        JIT_GRANT_ID: 'g-outer',
      },
    });
    expect(await runCli(['exec', 'g-1', '--region', 'eu-west-1'], context)).toBe(5);
    expect(readFileSync(seen, 'utf8')).toBe('0 g-1 eu-west-1 eu-west-1\n');
    expect(stderr()).toContain('jit: already inside jit exec for g-outer; this one uses g-1 until it exits');
    expect(stderr()).toContain(`jit: starting ${shell} with grant g-1 (JIT_GRANT_ID); exit the shell to stop`);
  });
});
