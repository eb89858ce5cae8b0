import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { loadConfig } from '../../functions/config/loadConfig.js';
import { acknowledgeOrganizationFindings } from '../../infra/organization/organizationNag.js';
import { organizationTemplates } from '../../infra/organization/organizationStage.js';

/** The organization's stack names, as the docs give them to StackSets and stacks. */
const ORGANIZATION_STACKS = [
  'JitWorkloadRoles',
  'JitActivityForwarding',
  'JitDataEventTrail',
  'JitCallerAccess',
  'JitGuardrails',
] as const;

/**
 * Synthesizes the organization's templates (stage JitOrganization) alone, as `cdk synth` does
 * them — cdk-nag on, the same acknowledgements — without the broker's bundles: no esbuild, fast.
 */
const synthOrganization = async (configDir = 'config') => {
  const outdir = mkdtempSync(join(tmpdir(), 'jit-org-'));
  const app = new App({ outdir });
  const config = await loadConfig(configDir);
  const templates = organizationTemplates(app, config);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  acknowledgeOrganizationFindings(templates);
  const assembly: CloudAssembly = app.synth();
  const stage = assembly.getNestedAssembly(templates.stage.artifactId);
  const artifact = (name: (typeof ORGANIZATION_STACKS)[number]) => stage.getStackByName(name);
  const validationReport = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: { pluginName: string; violations: unknown[] }[];
  };
  return { templates, config, outdir, stage, artifact, validationReport };
};

export { ORGANIZATION_STACKS, synthOrganization };
