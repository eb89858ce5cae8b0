import type { DeployTemplate } from '../config/ciConfig.js';
import { ForbiddenError, ValidationError } from './errors.js';
import type { TaskScope } from './grant.js';
import type { Workload } from './workload.js';

/**
 * What may go into a resource ARN from a claim or an input: no wildcard (`*`, `?`), no ARN or path
 * separator (`:`, `/`), no policy variable (`$`, `{`): so a value can name one thing and never widen.
 */
const SAFE_VALUE = /^[A-Za-z0-9][A-Za-z0-9._+=@-]{0,127}$/;
const PLACEHOLDER = /\$\{(claims|inputs)\.([A-Za-z0-9_]+)\}/g;

/** Claims a template may use, from the workload (see TEMPLATE_CLAIMS in config/ciConfig.ts). */
const claimValues = (w: Workload): Readonly<Record<string, string>> => ({
  // `owner/name`: the slash is a separator, so templates get the name part only.
  repository: w.repository.split('/').at(-1) ?? '',
  repositoryId: w.repositoryId,
  owner: w.owner,
  ownerId: w.ownerId,
  environment: w.environment,
  ref: w.ref.replace(/^refs\/(heads|tags)\//, ''),
  runId: w.runId,
});

/** Every input named by the template, checked against its pattern and the safe charset; all problems at once. */
const checkInputs = (template: DeployTemplate, inputs: Readonly<Record<string, string>>): void => {
  const problems: string[] = [];
  for (const name of Object.keys(inputs)) {
    if (!template.inputs.has(name)) problems.push(`input '${name}' is not one template ${template.id} takes`);
  }
  for (const [name, pattern] of template.inputs) {
    const value = inputs[name];
    if (value === undefined) problems.push(`input '${name}' is missing`);
    else if (!SAFE_VALUE.test(value)) {
      problems.push(`input '${name}' may only hold letters, digits and . _ + = @ - (no wildcards, ':' or '/')`);
    } else if (!pattern.test(value)) problems.push(`input '${name}' must match ${pattern.source}`);
  }
  if (problems.length > 0) {
    throw new ValidationError('TEMPLATE_INPUT_INVALID', `template ${template.id}: ${problems.join('; ')}`);
  }
};

/**
 * The task scope of one deploy: the template's resources with claims and inputs filled in. Values
 * are checked before they are substituted, so nothing a job controls can widen the policy; the
 * result still goes through narrowScope (the role's ceiling) like any request.
 */
const renderDeployScope = (
  template: DeployTemplate,
  workload: Workload,
  inputs: Readonly<Record<string, string>>
): TaskScope => {
  checkInputs(template, inputs);
  const claims = claimValues(workload);
  const resources = template.resources.map((resource) =>
    resource.replace(PLACEHOLDER, (_whole, kind: string, name: string) => {
      const value = kind === 'inputs' ? inputs[name] : claims[name];
      if (value === undefined || !SAFE_VALUE.test(value)) {
        throw new ForbiddenError(
          'CLAIM_UNSAFE_FOR_TEMPLATE',
          `template ${template.id} needs claim ${name}, but the token's value '${String(value)}' is empty or holds characters a resource name may not (wildcards, ':' or '/')`
        );
      }
      return value;
    })
  );
  return { actions: template.actions, resources };
};

export { renderDeployScope, SAFE_VALUE };
