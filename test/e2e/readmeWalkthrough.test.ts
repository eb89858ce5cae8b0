import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finish } from '../helpers/finish.js';
import { interrupt, type SandboxProcess, startSandboxProcess } from '../helpers/sandboxProcess.js';

/** The README's curl walkthrough: the first `sh` block that sets API. */
const readmeWalkthrough = (): string => {
  const blocks = [...readFileSync('README.md', 'utf8').matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const block = blocks.find((b) => /^export API=/m.test(b));
  if (block === undefined) throw new Error('README.md has no sh block with `export API=`');
  return block;
};

/**
 * The README's walkthrough pasted into a shell, as a new user would after `npm start`: its `export`
 * line replaced by the one the quick start prints (same variables, this start's values), run with
 * `set -u` so a variable it uses without setting stops it. curl with the sandbox token, node for
 * the ids, and Debian's AWS CLI v2 against the printed emulator endpoint.
 */
describe("the README's walkthrough, run as written", () => {
  let sandbox: SandboxProcess;
  const home = mkdtempSync(join(tmpdir(), 'jit-readme-'));

  beforeAll(async () => {
    sandbox = await startSandboxProcess(['--in-memory']);
  }, 120_000);
  afterAll(async () => {
    if (sandbox) await interrupt(sandbox.child);
    rmSync(home, { recursive: true, force: true });
  });

  it('works from the printed export line alone, token included', { timeout: 180_000 }, async () => {
    expect(sandbox.ready.access).toBe('emulator');
    const { api, token, awsEndpoint } = sandbox.ready;
    const printed = `export API=${api} JIT_SANDBOX_TOKEN=${token} EMU=${awsEndpoint} AWS_DEFAULT_REGION=us-east-1`;
    const script = readmeWalkthrough().replace(/^export API=.*$/m, printed);
    expect(script).toContain(printed);
    const run = await finish(
      spawn('bash', ['-u', '-c', script], {
        cwd: home,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          // Debian's AWS CLI v2 first (an `aws` earlier on PATH may be v1), and this node for `node -p`.
          PATH: `/usr/bin:${dirname(process.execPath)}:${process.env.PATH}`,
          HOME: home,
          AWS_CONFIG_FILE: join(home, 'aws-config'),
          AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials'),
        },
      })
    );
    const out = `${run.stdout}\n${run.stderr}`;
    expect(run.code, out).toBe(0);
    expect(out).not.toMatch(/unbound variable|SANDBOX_TOKEN_|command not found/);
    const id = (JSON.parse(readFileSync(join(home, 'grant.json'), 'utf8')) as { id: string }).id;
    expect(id).toMatch(/^g-/);
    expect(out).toContain('"state":"PENDING"');
    expect(out).toContain('SELF_APPROVAL');
    expect(out).toContain('"state":"APPROVED"');
    expect(out).toContain(`assumed-role/prod-read/alice.${id}`);
    expect(readFileSync(join(home, 'report.csv'), 'utf8').length).toBeGreaterThan(0);
    // Out of scope while it lives, then everything after done: ListBuckets, GetObject, ListRoles.
    expect(out.match(/An error occurred \(AccessDenied\)/g)?.length).toBe(3);
    expect(out).toContain('"state":"ENDED"');
    expect(out).toContain('jit-broker-session-kill');
    expect(out).toContain('"type":"grant.sessions-killed"');
  });
});
