import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildBrokerApp } from '../../infra/brokerApp.js';
import type { OrgKillWiring } from '../../infra/orgKill.js';

/**
 * Synthesizes the whole app (both stacks, cdk-nag on, bundles built) into a fresh directory, once
 * per test file that calls it. Synth throws if cdk-nag reports anything unacknowledged.
 */
const synthBroker = async (options: { configDir?: string; orgKill?: OrgKillWiring } = {}) => {
  const outdir = mkdtempSync(join(tmpdir(), 'jit-cdk-'));
  const app = new App({
    outdir,
    postCliContext: {
      '@aws-cdk/core:defaultCrossStackReferences': 'strong',
      // As the CLI does: templates name each function's bundle directory (aws:asset:path).
      'aws:cdk:enable-asset-metadata': true,
    },
  });
  const built = await buildBrokerApp({
    app,
    configDir: options.configDir ?? 'config',
    ...(options.orgKill ? { orgKill: options.orgKill } : {}),
  });
  const assembly = app.synth();
  const template = (stack: string) => Template.fromJSON(assembly.getStackByName(stack).template);
  const validationReport = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: { pluginName: string; violations: unknown[] }[];
  };
  return { ...built, outdir, assembly, template, validationReport };
};

export { synthBroker };
