import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { cedarPolicyEngine } from '../../functions/adapters/cedarPolicyEngine.js';
import { lineOfPath } from '../../functions/config/jsonLines.js';
import { loadConfig } from '../../functions/config/loadConfig.js';
import { type ConfigDocuments, parseConfig } from '../../functions/config/parseConfig.js';
import { formatDuration, parseDuration } from '../../functions/domain/duration.js';
import { ConfigurationError, ValidationError } from '../../functions/domain/errors.js';

// biome-ignore lint/suspicious/noExplicitAny: the tests break parsed JSON documents in place.
type Json = Record<string, any>;

const CONFIG_DIR = fileURLToPath(new URL('../../config/', import.meta.url));

const readExample = async (file: string): Promise<Json> =>
  JSON.parse(await readFile(join(CONFIG_DIR, file), 'utf8')) as Json;

type PolicyFiles = { name: string; text: string }[];

const examplePolicies = async (): Promise<PolicyFiles> => {
  const names = (await readdir(join(CONFIG_DIR, 'policies'))).filter((n) => n.endsWith('.cedar')).sort();
  return Promise.all(
    names.map(async (n) => ({ name: `policies/${n}`, text: await readFile(join(CONFIG_DIR, 'policies', n), 'utf8') }))
  );
};

const exampleDocuments = async (): Promise<{
  catalog: Json;
  groups: Json;
  identitySources: Json;
  policies: PolicyFiles;
}> => ({
  catalog: await readExample('catalog.json'),
  groups: await readExample('groups.json'),
  identitySources: await readExample('identity-sources.json'),
  policies: await examplePolicies(),
});

/** Replaces `from` in the policy file `name` (the test fails if it is not there). */
const editPolicy = (policies: PolicyFiles, name: string, from: string, to: string): void => {
  const file = policies.find((f) => f.name === name);
  expect(file?.text).toContain(from);
  file!.text = file!.text.replace(from, to);
};

const problemsOf = (documents: ConfigDocuments): readonly string[] => {
  try {
    parseConfig(documents);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as ConfigurationError).problems;
  }
  throw new Error('expected parseConfig to reject the documents');
};

/** Schema problems: a bad ARN, a duration over 12h, an unknown field. */
const withSchemaProblems = (catalog: Json): void => {
  catalog.roles[0].roleArn = 'arn:aws:iam::1234:role/too-short-account';
  catalog.roles[1].maxDuration = '13h';
  catalog.roles[2].approvalz = 'typo';
};

/** Cross-reference problems: an unknown group, a quorum nobody can meet (policies), a duplicate id. */
const withReferenceProblems = (documents: { catalog: Json; policies: PolicyFiles }): void => {
  editPolicy(documents.policies, 'policies/prod.cedar', '@approvers("group:sre")', '@approvers("group:nobody")');
  editPolicy(documents.policies, 'policies/prod.cedar', '@approvals("2")', '@approvals("4")');
  documents.catalog.roles[2].id = 'prod-read';
};

const SCHEMA_PROBLEMS = [
  'catalog.json: roles[0].roleArn: must be an IAM role ARN',
  "catalog.json: roles[1].maxDuration: '13h' is out of range: use 15m to 12h",
  "catalog.json: roles[2]: unknown field 'approvalz'",
];
const REFERENCE_PROBLEMS = [
  "policies/prod.cedar:3: @approvers: 'group:nobody' is not defined in groups.json",
  'policies/prod.cedar:39: @approvals: needs 4 approvals but only 3 distinct approver(s) can give one',
  "catalog.json: roles[2] (prod-read): id 'prod-read' is used by another role",
];

/** Sets `roles[0].approval.required`-style paths in a parsed document. */
const setPath = (document: Json, path: string, value: unknown): void => {
  const parts = path.split(/[.[\]]+/).filter((p) => p !== '');
  const last = parts.pop()!;
  const parent = parts.reduce<Json>((node, part) => node[part], document);
  parent[last] = value;
};

const expectProblems = (problems: readonly string[], expected: readonly string[]): void => {
  for (const fragment of expected) {
    expect(
      problems.some((p) => p.includes(fragment)),
      `missing problem: ${fragment}\nin:\n${problems.join('\n')}`
    ).toBe(true);
  }
};

describe('parseConfig', () => {
  it('accepts the example documents shipped in config/', async () => {
    const config = parseConfig(await exampleDocuments());
    expect(config.catalog.version).toBe('2026-11-23.1');
    expect([...config.catalog.roles.keys()]).toEqual(['prod-read', 'prod-admin', 'staging-deploy']);
    expect(config.security).toEqual(['group:security']);
    expect(config.groups.get('sre')).toEqual(['bob', 'carol']);
    expect(config.identitySources).toEqual([
      {
        type: 'identity-center',
        roles: [
          {
            arn: 'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_JitBrokerCaller_0123456789abcdef',
            roleId: 'AROAEXAMPLEJITCALLER1',
          },
        ],
      },
      { type: 'iam-user', accountIds: ['123456789012'] },
    ]);
    expect(config.groupSource).toEqual({ source: 'groups-file' });
  });

  it.each([
    ['prod-read', '123456789012', 4 * 3600, 2 * 3600, 1],
    ['prod-admin', '123456789012', 3600, 3600, 2],
    ['staging-deploy', '123456789012', 8 * 3600, 8 * 3600, 1],
  ])(
    'turns role %s into account %s, durations in seconds, and its policies into its quorum',
    async (id, accountId, max, window, required) => {
      const config = parseConfig(await exampleDocuments());
      const role = config.catalog.roles.get(id)!;
      expect(role).toMatchObject({ id, accountId, maxDurationSeconds: max });
      const decision = await cedarPolicyEngine(config.policies).decideRequest({
        requester: 'alice',
        requesterGroups: ['developers'],
        role,
        actions: ['s3:PutObject'],
        resources: ['*'],
        durationSeconds: 900,
        reason: 'the quorum of the example policies',
        ticket: 'INC-1',
        at: new Date('2026-11-23T09:00:00Z'),
        scopeWidth: 1,
        elevationsInWindow: 0,
        breakGlass: false,
        outlivingActions: [],
      });
      expect(decision).toMatchObject({ eligible: true, pendingWindowSeconds: window, requiredApprovals: required });
    }
  );

  it('reports every schema problem in one ConfigurationError, naming file and path', async () => {
    const documents = await exampleDocuments();
    withSchemaProblems(documents.catalog);
    documents.groups.groupz = {};
    const problems = problemsOf(documents);
    expectProblems(problems, [...SCHEMA_PROBLEMS, "groups.json: unknown field 'groupz'"]);
    expect(problems).toHaveLength(4);
  });

  it('reports every cross-reference problem in one ConfigurationError, naming file and path', async () => {
    const documents = await exampleDocuments();
    withReferenceProblems(documents);
    const problems = problemsOf(documents);
    expectProblems(problems, REFERENCE_PROBLEMS);
  });

  it('reports schema and cross-reference problems together in one pass', async () => {
    const documents = await exampleDocuments();
    withSchemaProblems(documents.catalog);
    withReferenceProblems(documents);
    const problems = problemsOf(documents);
    expectProblems(problems, [...SCHEMA_PROBLEMS, ...REFERENCE_PROBLEMS]);
  });

  it('lists every problem in the error message too', async () => {
    const documents = await exampleDocuments();
    withReferenceProblems(documents);
    expect(() => parseConfig(documents)).toThrow(/invalid broker configuration:\n {2}- catalog\.json: roles\[2\]/);
    expect(() => parseConfig(documents)).toThrow(/\n {2}- policies\/prod\.cedar:3: @approvers/);
  });

  it('rejects an unknown group in the security list', async () => {
    const documents = await exampleDocuments();
    documents.catalog.security = ['group:auditors'];
    expect(problemsOf(documents)).toEqual(["catalog.json: security: 'group:auditors' is not defined in groups.json"]);
  });

  it('names the rule for a group name that breaks it', async () => {
    const documents = await exampleDocuments();
    documents.groups.groups['bad name'] = ['frank'];
    const problems = problemsOf(documents);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('groups.json: groups');
    expect(problems[0]).toContain('group names are letters, digits, _ . -');
  });

  it('reports problems in identity-sources.json under that file name', async () => {
    const documents = await exampleDocuments();
    documents.identitySources.sources[1].accountIds = ['12345'];
    expect(problemsOf(documents)).toEqual([
      'identity-sources.json: sources[1].accountIds[0]: must be a 12-digit account id',
    ]);
  });

  it.each([
    ['a privileged flag that is not a boolean', 'roles[0].privileged', 'yes'],
    ['a time zone that does not exist', 'policy.timeZone', 'Europe/Atlantis'],
    ['a max duration under 15m', 'roles[0].maxDuration', '10m'],
    ['a max duration that is not a duration', 'roles[0].maxDuration', '1d'],
    ['an approval block (policies decide approvals now)', 'roles[0].approval', { required: 1 }],
    ['an empty role list', 'roles', []],
    ['a wrong schemaVersion', 'schemaVersion', 2],
  ])('rejects %s at %s', async (_what, path, value) => {
    const documents = await exampleDocuments();
    setPath(documents.catalog, path, value);
    const problems = problemsOf(documents);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^catalog\\.json: ${path.replace(/[[\].]/g, '\\$&')}: `));
  });
});

describe('loadConfig', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  const tempDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'jit-config-'));
    dirs.push(dir);
    return dir;
  };

  it('loads the example configuration directory', async () => {
    const config = await loadConfig(CONFIG_DIR);
    expect(config.catalog.roles.size).toBe(3);
    expect(config.policies.settings).toEqual({ timeZone: 'Europe/Berlin', elevationWindowDays: 30 });
    expect(config.policies.policies.map((p) => p.id)).toContain('prod-needs-ticket');
  });

  it('reports a JSON syntax error and a missing file together', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'catalog.json'), '{ "schemaVersion": 1, ');
    await writeFile(join(dir, 'identity-sources.json'), JSON.stringify(await readExample('identity-sources.json')));
    const error = await loadConfig(dir).then(
      () => undefined,
      (e: unknown) => e
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    const { problems } = error as ConfigurationError;
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain(`${join(dir, 'catalog.json')} is not valid JSON (`);
    expect(problems[1]).toBe(`${join(dir, 'policies')} cannot be read (ENOENT)`);
    expect(problems[2]).toBe(
      'groups.json is missing: groups come from it unless identity-sources.json says "groups": { "source": "identity-store", … }'
    );
  });

  it('reports schema problems of files that were read', async () => {
    const dir = await tempDir();
    const documents = await exampleDocuments();
    documents.catalog.roles[0].maxDuration = '13h';
    await writeFile(join(dir, 'catalog.json'), JSON.stringify(documents.catalog));
    await writeFile(join(dir, 'groups.json'), JSON.stringify(documents.groups));
    await writeFile(join(dir, 'identity-sources.json'), JSON.stringify(documents.identitySources));
    await expect(loadConfig(dir)).rejects.toThrow("catalog.json: roles[0].maxDuration: '13h' is out of range");
  });

  it('reports a JSON syntax error together with schema problems in the other files', async () => {
    const dir = await tempDir();
    const documents = await exampleDocuments();
    documents.identitySources.sources[1].accountIds = ['12345'];
    await writeFile(join(dir, 'catalog.json'), '{ "schemaVersion": 1, ');
    await writeFile(join(dir, 'groups.json'), JSON.stringify(documents.groups));
    await writeFile(join(dir, 'identity-sources.json'), JSON.stringify(documents.identitySources));
    const error = await loadConfig(dir).then(
      () => undefined,
      (e: unknown) => e
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expectProblems((error as ConfigurationError).problems, [
      `${join(dir, 'catalog.json')} is not valid JSON (`,
      'identity-sources.json: sources[1].accountIds[0]: must be a 12-digit account id',
    ]);
  });
});

describe('parseDuration', () => {
  it.each([
    ['4h', 14_400],
    ['90m', 5400],
    ['1h30m', 5400],
    ['45s', 45],
    ['1h0m1s', 3601],
    ['12h', 43_200],
    [' 2h ', 7200],
    ['0s', 0],
  ])('reads %s as %i seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });

  it.each(['', '   ', '13', 'h', '1.5h', '-1h', '1d', '30m1h', '1H', '1 h', 'PT1H'])(
    'rejects %j with INVALID_DURATION',
    (text) => {
      let error: unknown;
      try {
        parseDuration(text);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ code: 'INVALID_DURATION' });
      expect((error as Error).message).toContain(`'${text}' is not a duration`);
    }
  );
});

describe('formatDuration', () => {
  it.each([
    [5400, '1h30m'],
    [3600, '1h'],
    [900, '15m'],
    [45, '45s'],
    [3661, '1h1m1s'],
    [43_200, '12h'],
    [0, '0s'],
  ])('writes %i seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });

  it.each([45, 900, 3661, 5400, 43_200])('round-trips %i seconds through parseDuration', (seconds) => {
    expect(parseDuration(formatDuration(seconds))).toBe(seconds);
  });
});

describe('ci.json', () => {
  it('is optional: without it no CI issuer is trusted', async () => {
    expect(parseConfig(await exampleDocuments()).ci.issuers).toEqual([]);
  });

  it('loads the example: two issuers and the staging template, with RS256 by default', async () => {
    const config = parseConfig({ ...(await exampleDocuments()), ci: await readExample('ci.json') });
    expect(config.ci.issuers.map((i) => [i.id, i.algorithms])).toEqual([
      ['github-actions', ['RS256']],
      ['gitlab', ['RS256']],
    ]);
    expect(config.ci.templates.get('service-deploy-staging')?.maxDurationSeconds).toBe(1800);
  });

  it('reports every problem at once, with the file and the path', async () => {
    const ci = await readExample('ci.json');
    ci.issuers[0].issuer = 'http://token.example.com';
    ci.issuers[1].audience = 'sts.amazonaws.com';
    ci.issuers[1].algorithms = ['HS256'];
    ci.templates[0].role = 'no-such-role';
    // biome-ignore lint/suspicious/noTemplateCurlyInString: template placeholders, not JavaScript ones
    ci.templates[0].resources.push('arn:aws:s3:::x/${aws:username}', 'arn:aws:s3:::x/${inputs.region}');
    ci.templates[0].maxDuration = '2h';
    const problems = problemsOf({ ...(await exampleDocuments()), ci });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ci\.json: issuers\[0\]\.issuer: must be an https URL/),
        expect.stringMatching(/^ci\.json: issuers\[1\]\.audience: use an audience only the broker accepts/),
        expect.stringMatching(/^ci\.json: issuers\[1\]\.algorithms\[0\]/),
        expect.stringMatching(/^ci\.json: templates\[0\]\.resources\[2\]: '\$\{aws:username\}' is not a placeholder/),
        expect.stringMatching(
          /^ci\.json: templates\[0\]\.resources\[3\]: .* names an input the template does not declare/
        ),
        expect.stringMatching(/^ci\.json: templates\[0\]\.maxDuration: '2h' is out of range/),
      ])
    );
    ci.templates[0].resources.splice(2);
    ci.templates[0].maxDuration = '30m';
    ci.issuers[0].issuer = 'http://127.0.0.1:9999';
    ci.issuers[1].audience = 'jit-broker.x';
    ci.issuers[1].algorithms = ['RS256'];
    expect(problemsOf({ ...(await exampleDocuments()), ci })).toEqual([
      "ci.json: templates[0].role: role 'no-such-role' is not in the catalog",
    ]);
  });

  it('refuses inputs not scoped to repository ids, and resources named by names that change hands', async () => {
    const ci = await readExample('ci.json');
    const [template] = ci.templates;
    template.inputs.region = { pattern: 'eu-[a-z]+-1' };
    template.inputs.stage = {
      pattern: '[a-z]+',
      anyRepository: true,
      allow: [{ issuer: 'github-actions', ownerIds: ['2001'], values: ['beta'] }],
    };
    const added = template.inputs.service.allow.push({ issuer: 'nope', values: ['Payments'] }) - 1;
    // biome-ignore lint/suspicious/noTemplateCurlyInString: template placeholders, not JavaScript ones
    template.resources.push('arn:aws:s3:::x/${claims.repository}/${inputs.region}/${inputs.stage}/*');
    expect(problemsOf({ ...(await exampleDocuments()), ci })).toEqual([
      `ci.json: templates[0].inputs.service.allow[${added}]: name the repositoryIds or ownerIds that may pass these values (ids, never names: names change hands)`,
      `ci.json: templates[0].inputs.service.allow[${added}].values[0]: 'Payments' does not match the input's pattern [a-z][a-z0-9-]{1,30}`,
      "ci.json: templates[0].inputs.region: say which repositories may pass which values: 'allow': [{ issuer, repositoryIds or ownerIds, values }]; or 'anyRepository': true when any value of the pattern is fine for every repository the policies admit",
      "ci.json: templates[0].inputs.stage: give 'allow' or 'anyRepository', not both",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: template placeholders, not JavaScript ones
      "ci.json: templates[0].resources[2]: '${claims.repository}' is a name, and names change hands when a repository or owner is renamed, transferred or deleted: use ${claims.repositoryId}, or an input allowed per repository id",
    ]);
    template.inputs.service.allow[added] = { issuer: 'nope', repositoryIds: ['1003'], values: ['payments'] };
    delete template.inputs.region;
    delete template.inputs.stage;
    template.resources.pop();
    expect(problemsOf({ ...(await exampleDocuments()), ci })).toEqual([
      `ci.json: templates[0].inputs.service.allow[${added}].issuer: issuer 'nope' is not one of this file's issuers (github-actions, gitlab)`,
    ]);
  });

  it('finds a path’s line through nested arrays and escaped quotes, or its deepest part that is there', () => {
    const text = '{\n "a": "x\\"}],",\n "b": [\n  [1, -2.5e3],\n  {\n   "c": true\n  }\n ]\n}';
    expect(JSON.parse(text).a).toBe('x"}],');
    expect(lineOfPath(text, ['b', 1, 'c'])).toBe(6);
    expect(lineOfPath(text, ['b', 0, 1])).toBe(4);
    expect(lineOfPath(text, ['b', 1, 'missing'])).toBe(5);
    expect(lineOfPath(text, ['b', 7])).toBe(3);
    expect(lineOfPath(text, [])).toBe(1);
  });

  it('names the line of each problem when loaded from a directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jit-ci-lines-'));
    try {
      await cp(CONFIG_DIR, dir, { recursive: true });
      const ci = await readExample('ci.json');
      ci.templates[0].inputs.service.allow[1].values = ['payments', 'Billing'];
      ci.templates[0].inputs.service.allow[0].issuer = 'gitlab-self-managed';
      const text = JSON.stringify(ci, null, 2);
      await writeFile(join(dir, 'ci.json'), text);
      const lineOf = (needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;
      const billing = `ci.json:${lineOf('"Billing"')}: templates[0].inputs.service.allow[1].values[1]`;
      await expect(loadConfig(dir)).rejects.toThrow(`${billing}: 'Billing' does not match the input's pattern`);

      ci.templates[0].inputs.service.allow[1].values = ['payments', 'billing'];
      await writeFile(join(dir, 'ci.json'), JSON.stringify(ci, null, 2));
      await expect(loadConfig(dir)).rejects.toThrow(
        `ci.json:${lineOf('"gitlab-self-managed"')}: templates[0].inputs.service.allow[0].issuer: issuer 'gitlab-self-managed' is not one of this file's issuers`
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('identity sources and group sources', () => {
  const IDENTITY_STORE = { source: 'identity-store', identityStoreId: 'd-1234567890', region: 'eu-west-1' };

  it('takes groups from the identity store when told, with a one-minute, 1,000-user cache by default', async () => {
    const { groups: _, ...documents } = await exampleDocuments();
    documents.identitySources.groups = IDENTITY_STORE;
    const config = parseConfig(documents);
    expect(config.groupSource).toEqual({ ...IDENTITY_STORE, cacheSeconds: 60, cacheEntries: 1000 });
    expect(config.groups.size).toBe(0);
  });

  it('does not check policy group references against groups.json when groups come from the identity store', async () => {
    const { groups: _, ...documents } = await exampleDocuments();
    documents.identitySources.groups = IDENTITY_STORE;
    editPolicy(documents.policies, 'policies/prod.cedar', 'group:sre', 'group:platform-oncall');
    expect(() => parseConfig(documents)).not.toThrow();
  });

  it('refuses a groups.json next to an identity-store source: two sources of membership would disagree', async () => {
    const documents = await exampleDocuments();
    documents.identitySources.groups = IDENTITY_STORE;
    expect(problemsOf(documents)).toEqual([
      'groups.json: remove it — groups come from the identity store (identity-sources.json: groups.source), and two sources of membership would disagree',
    ]);
  });

  it.each([
    ['an identity store id that is not one', 'identityStoreId', 'store-1', 'must be an identity store id'],
    ['a Region that is not one', 'region', 'Ireland', "must be the Identity Center instance's Region"],
    ['a cache longer than 15 minutes', 'cacheSeconds', 3600, 'groups.cacheSeconds'],
  ])('rejects %s', async (_what, field, value, message) => {
    const { groups: _, ...documents } = await exampleDocuments();
    documents.identitySources.groups = { ...IDENTITY_STORE, [field]: value };
    const problems = problemsOf(documents);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`identity-sources.json: groups.${field}`);
    expect(problems[0]).toContain(message);
  });

  it('tells an operator with the old identity-center form (whole accounts by role name) what to write instead', async () => {
    const documents = await exampleDocuments();
    documents.identitySources.sources[0] = { type: 'identity-center', accountIds: ['123456789012'] };
    expectProblems(problemsOf(documents), [
      'identity-sources.json: sources[0].roles: list the permission-set roles to trust',
      'identity-sources.json: sources[0].accountIds: identity-center no longer trusts whole accounts by role name',
    ]);
  });

  it.each([
    ['a role outside the reserved path', 'arn:aws:iam::123456789012:role/AWSReservedSSO_Admin_0123456789abcdef'],
    [
      'a role under a look-alike path',
      'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com.evil/AWSReservedSSO_Admin_0123456789abcdef',
    ],
    [
      'a reserved-path role not named by Identity Center',
      'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/Admin',
    ],
    [
      'a session ARN instead of the role',
      'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice',
    ],
  ])('refuses to pin %s as an Identity Center role', async (_what, arn) => {
    const documents = await exampleDocuments();
    documents.identitySources.sources[0].roles[0].arn = arn;
    expectProblems(problemsOf(documents), [
      'identity-sources.json: sources[0].roles[0].arn: must be the ARN of a permission-set role',
    ]);
  });

  it('refuses a role id that is not one', async () => {
    const documents = await exampleDocuments();
    documents.identitySources.sources[0].roles[0].roleId = 'AIDAEXAMPLEUSERID0001';
    expectProblems(problemsOf(documents), ["sources[0].roles[0].roleId: must be the role's id"]);
  });

  it.each([
    ['an assumed-role session', 'arn:aws:sts::123456789012:assumed-role/ci-deployer/build-42'],
    ['a federated user', 'arn:aws:sts::123456789012:federated-user/alice'],
  ])('refuses to map %s (its caller chooses the name) unless told so explicitly', async (_what, arn) => {
    const documents = await exampleDocuments();
    documents.identitySources.sources.push({ type: 'principal', arn, userId: 'ci-bot' });
    expectProblems(problemsOf(documents), [
      'identity-sources.json: sources[2].arn: the last part of this ARN is a session name its caller chooses',
    ]);
    documents.identitySources.sources[2].acceptCallerChosenSessionName = true;
    expect(parseConfig(documents).identitySources[2]).toMatchObject({ arn, acceptCallerChosenSessionName: true });
  });
});
