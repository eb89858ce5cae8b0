import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { renderBlock, shellQuote, upsertProfileBlock } from '../../cli/profile/awsConfigBlock.js';
import { fakeContext, fakeFetch, jsonResponse } from './cliFakes.js';

const USER_CONFIG = `[default]
region = eu-west-1

[profile work]
sso_session = corp
# a comment the user wrote
`;
const block = (name: string, grant: string) =>
  renderBlock(name, ['/opt/jit/cli/bin/jit.mjs', 'creds', grant, '--format', 'process'], `grant ${grant}`);

describe('the jit-broker block in the AWS config file', () => {
  it('appends a marked profile block and leaves everything else byte for byte', () => {
    const updated = upsertProfileBlock(USER_CONFIG, 'jit-x', block('jit-x', 'g-1'));
    expect(updated.startsWith(USER_CONFIG)).toBe(true);
    expect(updated.slice(USER_CONFIG.length)).toBe(
      '\n# >>> jit-broker jit-x >>>\n# grant g-1\n[profile jit-x]\ncredential_process = /opt/jit/cli/bin/jit.mjs creds g-1 --format process\n# <<< jit-broker jit-x <<<\n'
    );
  });

  it('replaces its own block in place on the next run', () => {
    const once = upsertProfileBlock(USER_CONFIG, 'jit-x', block('jit-x', 'g-1'));
    const withMore = `${once}\n[profile later]\nregion = us-east-1\n`;
    const twice = upsertProfileBlock(withMore, 'jit-x', block('jit-x', 'g-2'));
    expect(twice).toBe(withMore.replace('creds g-1', 'creds g-2').replace('# grant g-1', '# grant g-2'));
    expect(upsertProfileBlock(twice, 'jit-x', block('jit-x', 'g-2'))).toBe(twice);
  });

  it('keeps two profiles side by side, each replaced on its own', () => {
    const both = upsertProfileBlock(
      upsertProfileBlock('', 'jit-a', block('jit-a', 'g-1')),
      'jit-b',
      block('jit-b', 'g-2')
    );
    const updated = upsertProfileBlock(both, 'jit-a', block('jit-a', 'g-3'));
    expect(updated).toContain('[profile jit-a]\ncredential_process = /opt/jit/cli/bin/jit.mjs creds g-3');
    expect(updated).toContain('[profile jit-b]\ncredential_process = /opt/jit/cli/bin/jit.mjs creds g-2');
    expect(updated.indexOf('[profile jit-a]')).toBeLessThan(updated.indexOf('[profile jit-b]'));
  });

  it('never clobbers a profile of the same name written by hand, nor a half-deleted block', () => {
    expect(() => upsertProfileBlock('[profile jit-x]\nregion = eu-west-1\n', 'jit-x', block('jit-x', 'g-1'))).toThrow(
      /already defines \[profile jit-x\] outside/
    );
    expect(() =>
      upsertProfileBlock('# >>> jit-broker jit-x >>>\n[profile jit-x]\n', 'jit-x', block('jit-x', 'g-1'))
    ).toThrow(/broken jit-broker block/);
    expect(() => upsertProfileBlock('', 'jit x', 'x')).toThrow(/cannot be an AWS profile name/);
  });

  it('quotes arguments the way credential_process is split', () => {
    expect(shellQuote('/usr/local/bin/jit.mjs')).toBe('/usr/local/bin/jit.mjs');
    expect(shellQuote('/opt/jit broker/jit.mjs')).toBe("'/opt/jit broker/jit.mjs'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });
});

describe('jit setup-profile', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('writes a credential_process line with absolute paths and explicit flags, no ~ and no $VARS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jit-profile-'));
    dirs.push(dir);
    const configPath = join(dir, 'aws', 'config');
    const { fetch } = fakeFetch(() => jsonResponse(200, { id: 'g-7', roleId: 'prod-read', state: 'APPROVED' }));
    const { context } = fakeContext({
      fetch,
      env: { HOME: dir, AWS_CONFIG_FILE: configPath, JIT_API_URL: 'http://127.0.0.1:8787', JIT_USER: 'alice' },
    });
    expect(await runCli(['setup-profile', 'g-7'], context)).toBe(0);
    const written = readFileSync(configPath, 'utf8');
    expect(written).toContain('[profile jit-prod-read]');
    expect(written).toContain(
      "credential_process = '/opt/jit broker/cli/bin/jit.mjs' creds g-7 --format process --api http://127.0.0.1:8787 --as alice\n"
    );
    expect(written).not.toMatch(/[~$]/);
    expect(statSync(configPath).mode & 0o777).toBe(0o600);

    writeFileSync(configPath, `[default]\nregion = eu-west-1\n${written}`);
    expect(await runCli(['setup-profile', 'g-7', '--profile', 'jit-debug'], context)).toBe(0);
    const again = readFileSync(configPath, 'utf8');
    expect(again.startsWith('[default]\nregion = eu-west-1\n# >>> jit-broker jit-prod-read >>>')).toBe(true);
    expect(again).toContain('[profile jit-debug]');
  });
});
