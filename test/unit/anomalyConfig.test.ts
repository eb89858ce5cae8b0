import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonValueLines } from '../../functions/config/jsonLines.js';
import { loadConfig } from '../../functions/config/loadConfig.js';
import { ConfigurationError } from '../../functions/domain/errors.js';

/** The example configuration with anomaly.json replaced by `text` (or removed). */
const loadWithAnomaly = async (text: string | undefined) => {
  const dir = await mkdtemp(join(tmpdir(), 'jit-anomaly-'));
  try {
    await cp('config', dir, { recursive: true });
    if (text === undefined) await rm(join(dir, 'anomaly.json'));
    else await writeFile(join(dir, 'anomaly.json'), text);
    return await loadConfig(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

const problemsWith = async (text: string): Promise<readonly string[]> => {
  try {
    await loadWithAnomaly(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).problems;
  }
  throw new Error('expected the configuration to be refused');
};

describe('anomaly.json', () => {
  it('loads the example: prod roles revoked on probing, staging flagged, late use answered everywhere', async () => {
    const { anomaly } = await loadConfig('config');
    expect(anomaly.rules).toEqual([
      {
        id: 'prod-probing',
        roles: ['prod-read', 'prod-admin'],
        response: 'revoke',
        trigger: 'refused-calls',
        threshold: 10,
        windowSeconds: 300,
      },
      {
        id: 'staging-probing',
        roles: ['staging-deploy'],
        response: 'flag',
        trigger: 'refused-calls',
        threshold: 25,
        windowSeconds: 600,
      },
      { id: 'used-after-end', roles: ['*'], response: 'revoke', trigger: 'used-after-end' },
    ]);
    expect(await readdir('config')).toContain('anomaly.json');
  });

  it('is optional: without it no rule acts', async () => {
    expect((await loadWithAnomaly(undefined)).anomaly.rules).toEqual([]);
  });

  it('names the file and line of every problem, with the path in the file, in the order of the file', async () => {
    const text = `{
  "schemaVersion": 1,
  "rules": [
    {
      "id": "probing",
      "roles": ["prod-read", "prod-raed"],
      "trigger": "refused-calls",
      "threshold": 0,
      "window": "5x",
      "response": "block"
    },
    { "id": "probing", "roles": ["*"], "trigger": "used-after-end", "response": "flag" },
    { "id": "late", "roles": ["*"], "trigger": "used-after-ending", "response": "flag" },
    { "id": "odd", "roles": [], "trigger": "used-after-end", "response": "flag", "threshold": 3 }
  ]
}
`;
    expect(await problemsWith(text)).toEqual([
      'anomaly.json:8: rules[0].threshold: Too small: expected number to be >=1',
      "anomaly.json:9: rules[0].window: '5x' is not a duration; write it like 30m, 2h or 1h30m",
      "anomaly.json:10: rules[0].response: must be 'revoke' or 'flag'",
      "anomaly.json:13: rules[2].trigger: trigger must be 'refused-calls' or 'used-after-end'",
      "anomaly.json:14: rules[3].roles: name the catalog roles the rule watches, or '*' for all",
      "anomaly.json:14: rules[3]: unknown field 'threshold'",
    ]);
  });

  it('checks rule ids and roles against the catalog once the file is well formed', async () => {
    const text = JSON.stringify(
      {
        schemaVersion: 1,
        rules: [
          {
            id: 'probing',
            roles: ['prod-read', 'prod-raed'],
            trigger: 'refused-calls',
            threshold: 5,
            window: '5m',
            response: 'flag',
          },
          { id: 'probing', roles: ['*'], trigger: 'used-after-end', response: 'flag' },
        ],
      },
      null,
      2
    );
    expect(await problemsWith(text)).toEqual([
      "anomaly.json:8: rules[0].roles[1]: 'prod-raed' is not a role in the catalog",
      "anomaly.json:16: rules[1].id: 'probing' is used by another rule",
    ]);
  });

  it.each([
    ['a window under a minute', '30s', "'30s' is out of range: use 1m to 24h"],
    ['a window over a day', '25h', "'25h' is out of range: use 1m to 24h"],
  ])('refuses %s', async (_case, window, message) => {
    const text = `{"schemaVersion": 1, "rules": [{"id": "wide", "roles": ["*"], "trigger": "refused-calls", "threshold": 3, "window": "${window}", "response": "flag"}]}`;
    expect(await problemsWith(text)).toEqual([`anomaly.json:1: rules[0].window: ${message}`]);
  });

  it('gives the line of a JSON syntax error', async () => {
    const problems = await problemsWith('{\n  "schemaVersion": 1,\n  "rules": [\n    { "id": "x" \n  ]\n}\n');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^anomaly\.json:5: is not valid JSON \(/);
  });

  it('reports its problems with the other files’, in one pass', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jit-anomaly-'));
    try {
      await cp('config', dir, { recursive: true });
      const catalog = JSON.parse(await readFile(join(dir, 'catalog.json'), 'utf8'));
      catalog.roles[0].roleArn = 'not-an-arn';
      await writeFile(join(dir, 'catalog.json'), JSON.stringify(catalog));
      await writeFile(join(dir, 'anomaly.json'), '{"schemaVersion": 2, "rules": []}');
      const error = await loadConfig(dir).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      const problems = (error as ConfigurationError).problems;
      expect(problems.some((p) => p.startsWith('catalog.json: roles[0].roleArn'))).toBe(true);
      expect(problems).toContain('anomaly.json:1: schemaVersion: this broker reads anomaly schemaVersion 1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('jsonValueLines', () => {
  it('finds each value’s line by the path configuration messages use', () => {
    const lines = jsonValueLines('{\n  "a": [1,\n    {"b": "x\\"y"}],\n  "c": {}\n}');
    expect(Object.fromEntries(lines)).toEqual({ '': 1, a: 2, 'a[0]': 2, 'a[1]': 3, 'a[1].b': 3, c: 4 });
  });
});
