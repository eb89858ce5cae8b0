import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { enableCompileCache } from '../../cli/compileCache.js';
import { tempDirs } from '../helpers/tempDirs.js';

describe("enableCompileCache: V8's compiled code kept between runs, in a directory only this user can write", () => {
  const home = tempDirs('jit-compile-cache-');
  /** Node's switch, recorded instead of turned: what it was given. */
  const recording = () => {
    const given: string[] = [];
    return { given, enable: (directory: string) => void given.push(directory) };
  };

  it('makes jit-cache/compile-cache for this user alone (0700) and switches the cache on there', () => {
    const cache = home();
    const node = recording();
    const used = enableCompileCache({ XDG_CACHE_HOME: cache }, node.enable);
    expect(used).toBe(join(cache, 'jit', 'compile-cache'));
    expect(node.given).toEqual([used]);
    expect(statSync(used as string).mode & 0o777).toBe(0o700);
  });

  it('does not use a directory others may write to: code would be loaded from it', () => {
    const cache = home();
    const directory = join(cache, 'jit', 'compile-cache');
    mkdirSync(directory, { recursive: true });
    chmodSync(directory, 0o777);
    const node = recording();
    expect(enableCompileCache({ XDG_CACHE_HOME: cache }, node.enable)).toBeUndefined();
    expect(node.given).toEqual([]);
  });

  it('starts as before where the directory cannot be made', () => {
    const cache = home();
    // A file where the cache directory would go.
    const blocked = join(cache, 'file');
    mkdirSync(cache, { recursive: true });
    writeFileSync(blocked, 'x');
    const node = recording();
    expect(enableCompileCache({ XDG_CACHE_HOME: blocked }, node.enable)).toBeUndefined();
    expect(node.given).toEqual([]);
  });
});
