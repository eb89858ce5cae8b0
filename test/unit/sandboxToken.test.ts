import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sameToken } from '../../cli/sameToken.js';
import { sandboxTokenFile } from '../../cli/sandboxToken.js';
import { newSandboxToken, publishSandboxToken } from '../../sandbox/sandboxToken.js';
import { tempDirs } from '../helpers/tempDirs.js';

describe("the sandbox's per-start token", () => {
  const stateDir = tempDirs('jit-token-');

  it('is new at every start, 256 bits, and fits a header, a shell line and a URL fragment as it is', () => {
    const tokens = new Set(Array.from({ length: 50 }, newSandboxToken));
    expect(tokens.size).toBe(50);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('compares equal only to itself', () => {
    const token = newSandboxToken();
    expect(sameToken(token, token)).toBe(true);
    expect(sameToken(token.slice(0, -1), token)).toBe(false);
    expect(sameToken(`${token}x`, token)).toBe(false);
    expect(sameToken('', token)).toBe(false);
    expect(sameToken(token.toUpperCase(), token.toLowerCase())).toBe(false);
  });

  it('is written where the CLI looks, for its owner only, and removed at stop', async () => {
    const env = { XDG_STATE_HOME: stateDir() };
    const token = newSandboxToken();
    const published = await publishSandboxToken({ env, url: 'http://127.0.0.1:8787', port: 8787, token });
    expect(published.path).toBe(sandboxTokenFile(env, 8787));
    expect(published.path).toBe(join(env.XDG_STATE_HOME, 'jit', 'sandbox', '8787.json'));
    expect(statSync(published.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(env.XDG_STATE_HOME, 'jit', 'sandbox')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(published.path, 'utf8'))).toEqual({
      url: 'http://127.0.0.1:8787',
      token,
      pid: process.pid,
    });
    await published.remove();
    expect(() => statSync(published.path)).toThrow(/ENOENT/);
  });

  it('replaces a file left with looser permissions, and leaves a newer start’s token in place', async () => {
    const env = { XDG_STATE_HOME: stateDir() };
    const first = await publishSandboxToken({ env, url: 'http://127.0.0.1:9', port: 9, token: 'first' });
    writeFileSync(first.path, '{"token":"edited"}', { mode: 0o644 });
    const second = await publishSandboxToken({ env, url: 'http://127.0.0.1:9', port: 9, token: newSandboxToken() });
    expect(statSync(second.path).mode & 0o777).toBe(0o600);
    // The first start stops after the second started on the same port: the second's file stays.
    await first.remove();
    expect(statSync(second.path).isFile()).toBe(true);
  });

  it('lives under ~/.local/state when XDG_STATE_HOME is not set', () => {
    expect(sandboxTokenFile({ HOME: '/home/ann' }, '8787')).toBe('/home/ann/.local/state/jit/sandbox/8787.json');
    expect(sandboxTokenFile({ HOME: '/home/ann' }, '')).toBe('/home/ann/.local/state/jit/sandbox/80.json');
  });
});
