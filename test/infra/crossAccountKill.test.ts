import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildBrokerApp } from '../../infra/brokerApp.js';

/**
 * The broker deployed to a known account (111111111111) with a catalog that also names roles in
 * two workload accounts. Bundling is skipped: only the IAM statements and cdk-nag matter here.
 */
const configDir = mkdtempSync(join(tmpdir(), 'jit-cross-account-'));
cpSync('config', configDir, { recursive: true });
const catalog = JSON.parse(readFileSync('config/catalog.json', 'utf8')) as { roles: { roleArn: string }[] };
const accounts = ['111111111111', '222222222222', '333333333333', '222222222222'];
catalog.roles.forEach((role, i) => {
  role.roleArn = role.roleArn.replace(/::\d{12}:/, `::${accounts[i % accounts.length]}:`);
});
writeFileSync(join(configDir, 'catalog.json'), JSON.stringify(catalog));

const outdir = mkdtempSync(join(tmpdir(), 'jit-cdk-cross-'));
const app = new App({
  outdir,
  context: { 'aws:cdk:bundling-stacks': [] },
  postCliContext: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' },
});
const { stateless } = await buildBrokerApp({ app, configDir, env: { account: '111111111111', region: 'eu-west-1' } });
const assembly = app.synth();
const template = Template.fromJSON(assembly.getStackByName('JitBroker').template);
const resources = template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const statementsOf = (name: string): Statement[] => {
  const policy = stateless.functions.get(name)?.role?.node.tryFindChild('DefaultPolicy') as
    | { node: { defaultChild?: unknown } }
    | undefined;
  const id = stateless.getLogicalId(policy?.node.defaultChild as never);
  const document = resources[id]?.Properties.PolicyDocument as { Statement: Statement[] } | undefined;
  return document?.Statement ?? [];
};

describe('a broker whose catalog spans accounts', () => {
  it('lets the ending functions assume the session killer of each other account, never of its own', () => {
    const workloadRoles = catalog.roles.map((r) => r.roleArn).filter((arn) => !arn.includes('::111111111111:'));
    expect(workloadRoles.length).toBeGreaterThan(0);
    const expected = [
      ...new Set(workloadRoles.map((arn) => arn.replace(/:role\/.*$/, ':role/jit-broker-session-killer'))),
    ].sort();
    for (const name of ['expire', 'finishGrant', 'revokeGrant', 'sweep']) {
      const assume = statementsOf(name).filter((s) => s.Action === 'sts:AssumeRole');
      expect(assume, name).toEqual([
        { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: expected.length === 1 ? expected[0] : expected },
      ]);
    }
    for (const name of ['createGrant', 'approveGrant', 'cancelGrant', 'getGrant']) {
      expect(JSON.stringify(statementsOf(name)), name).not.toContain('session-killer');
    }
  });

  it("tells the ending functions the broker's account as a literal", () => {
    const fn = resources[stateless.getLogicalId(stateless.functions.get('sweep')?.node.defaultChild as never)];
    const env = fn?.Properties.Environment as { Variables: Record<string, unknown> } | undefined;
    expect(env?.Variables.BROKER_ACCOUNT_ID).toBe('111111111111');
  });

  it('passes cdk-nag with no unacknowledged finding (synth would have thrown otherwise)', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });
});
