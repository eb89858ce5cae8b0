import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * @cloud-copilot/iam-simulate is AGPL-3.0: the sandbox and the tests may use it (a devDependency),
 * what ships may not. Nothing in functions/ (the Lambda bundles) or cli/ imports it or anything in
 * sandbox/ or test/, so no chain of imports from shipped code can reach it.
 */
const sourcesIn = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts|mjs|js)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));

const importsOf = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map(
    ([, spec]) => spec as string
  );

describe('the AGPL evaluator stays out of what ships', () => {
  const shipped = [...sourcesIn('functions'), ...sourcesIn('cli')];

  it('finds the shipped sources it checks', () => {
    expect(shipped.length).toBeGreaterThan(50);
    expect(shipped).toContain(join('functions', 'handlers', 'lambda', 'runtime.ts'));
  });

  it('no Lambda or CLI source imports iam-simulate, sandbox/ or test/', () => {
    const offending = shipped.flatMap((file) =>
      importsOf(file)
        .filter((spec) => spec.includes('@cloud-copilot/iam-simulate') || /(^|\/)(sandbox|test)\//.test(spec))
        .map((spec) => `${file} imports ${spec}`)
    );
    expect(offending).toEqual([]);
  });

  it('the sandbox does use it (the check above looks for the right name)', () => {
    expect(importsOf(join('sandbox', 'sandboxIam.ts'))).toContain('@cloud-copilot/iam-simulate');
  });
});
