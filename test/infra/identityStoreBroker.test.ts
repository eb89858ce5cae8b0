import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/handlers/routes.js';
import { buildBrokerApp } from '../../infra/brokerApp.js';

/**
 * The broker configured to read groups from IAM Identity Center's identity store, in an
 * organization: synthesized with cdk-nag on (bundling skipped: only IAM and nag matter here).
 */
const configDir = mkdtempSync(join(tmpdir(), 'jit-identity-store-'));
cpSync('config', configDir, { recursive: true });
rmSync(join(configDir, 'groups.json'));
const sources = JSON.parse(readFileSync('config/identity-sources.json', 'utf8')) as Record<string, unknown>;
sources.groups = { source: 'identity-store', identityStoreId: 'd-1234567890', region: 'eu-west-1' };
writeFileSync(join(configDir, 'identity-sources.json'), JSON.stringify(sources));

const outdir = mkdtempSync(join(tmpdir(), 'jit-cdk-identity-store-'));
const app = new App({
  outdir,
  context: { 'aws:cdk:bundling-stacks': [] },
  postCliContext: { '@aws-cdk/core:defaultCrossStackReferences': 'strong' },
});
const { stateless } = await buildBrokerApp({
  app,
  configDir,
  env: { account: '111111111111', region: 'eu-west-1' },
  organization: { organizationId: 'o-abcd123456' },
});
const assembly = app.synth();
const template = assembly.getStackByName('JitBroker').template as {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
};

const policyOf = (name: string): string => {
  const policy = stateless.functions.get(name)?.role?.node.tryFindChild('DefaultPolicy') as
    | { node: { defaultChild?: unknown } }
    | undefined;
  return JSON.stringify(template.Resources[stateless.getLogicalId(policy?.node.defaultChild as never)] ?? {});
};

describe('a broker whose groups come from the identity store', () => {
  it('lets every SigV4 route read that identity store, and no other function', () => {
    for (const name of stateless.functions.keys()) {
      const sigV4 = ROUTES.some((r) => r.name === name && r.auth === 'iam');
      expect(policyOf(name).includes('identitystore:ListGroupMembershipsForMember'), name).toBe(sigV4);
    }
    expect(policyOf('createGrant')).toContain(':identitystore::*:identitystore/d-1234567890');
  });

  it('accepts forwarded activity from its organization on the default bus', () => {
    const policies = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Events::EventBusPolicy');
    expect(policies).toHaveLength(1);
    expect(JSON.stringify(policies[0]?.Properties)).toContain('"aws:PrincipalOrgID":"o-abcd123456"');
  });

  it('passes cdk-nag, with the identity store wildcards acknowledged exactly', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations)).toEqual([]);
  });
});
