import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { lazyPort } from '../../functions/handlers/lambda/lazy.js';
import { sourceMappedStack } from '../../functions/handlers/lambda/sourceMaps.js';

describe('a lazily built port', () => {
  it('builds its adapter on the first call only, and answers through it', async () => {
    let builds = 0;
    const port = lazyPort(async () => {
      builds += 1;
      return { twice: async (n: number) => n * 2 };
    });
    expect(builds).toBe(0);
    expect(await Promise.all([port.twice(2), port.twice(3)])).toEqual([4, 6]);
    expect(builds).toBe(1);
  });

  it('tries the build again after it failed, and is not mistaken for a promise', async () => {
    let builds = 0;
    const port = lazyPort(async () => {
      builds += 1;
      if (builds === 1) throw new Error('no client yet');
      return { ping: async () => 'pong' };
    });
    await expect(port.ping()).rejects.toThrow('no client yet');
    expect(await port.ping()).toBe('pong');
    expect((port as unknown as { then?: unknown }).then).toBeUndefined();
  });
});

describe('stack traces of a minified bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jit-sourcemap-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('name the source file and line, read from the map beside the bundle', () => {
    const source = join(dir, 'thrower.ts');
    writeFileSync(source, "export const fail = (): never => {\n  throw new Error('boom');\n};\nfail();\n");
    buildSync({
      entryPoints: [source],
      outfile: join(dir, 'index.mjs'),
      bundle: true,
      minify: true,
      format: 'esm',
      sourcemap: 'external',
      sourcesContent: false,
      logLevel: 'silent',
    });
    let stack = '';
    try {
      execFileSync(process.execPath, [join(dir, 'index.mjs')], { stdio: 'pipe', encoding: 'utf8' });
    } catch (error) {
      stack = String((error as { stderr: string }).stderr);
    }
    expect(stack).toMatch(/index\.mjs:1:\d+/);
    const mapped = sourceMappedStack(stack);
    expect(mapped).toMatch(/thrower\.ts:2:\d+/);
    expect(mapped).not.toMatch(/index\.mjs:1:\d+/);
  });
});
