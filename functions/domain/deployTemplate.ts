import type { DeployTemplate, TemplateInput } from '../config/ciConfig.js';
import { ForbiddenError, ValidationError } from './errors.js';
import type { TaskScope } from './grant.js';
import type { Workload } from './workload.js';

/**
 * What may go into a resource ARN from a claim or an input: no wildcard (`*`, `?`), no ARN or path
 * separator (`:`, `/`), no policy variable (`$`, `{`): so a value can name one thing and never widen.
 */
const SAFE_VALUE = /^[A-Za-z0-9][A-Za-z0-9._+=@-]{0,127}$/;
const PLACEHOLDER = /\$\{(claims|inputs)\.([A-Za-z0-9_]+)\}/g;

/**
 * Claims a template may use, from the workload (see TEMPLATE_CLAIMS in config/ciConfig.ts): ids,
 * never the repository or owner name, which a rename or transfer hands to someone else.
 */
const claimValues = (w: Workload): Readonly<Record<string, string>> => ({
  repositoryId: w.repositoryId,
  ownerId: w.ownerId,
  environment: w.environment,
  ref: w.ref.replace(/^refs\/(heads|tags)\//, ''),
  runId: w.runId,
});

/** The values of `input` this job's repository may pass; 'any' when ci.json says anyRepository. */
const valuesFor = (input: TemplateInput, w: Workload): readonly string[] | 'any' =>
  input.allow === 'any'
    ? 'any'
    : input.allow
        .filter(
          (a) => a.issuer === w.issuerId && (a.repositoryIds.includes(w.repositoryId) || a.ownerIds.includes(w.ownerId))
        )
        .flatMap((a) => a.values);

/**
 * Every input named by the template, checked against its pattern and the safe charset (400, all
 * problems at once), then against the values ci.json allows this job's repository (403): a value
 * that names another team's service is not this repository's to pass. Run again on every re-vend.
 */
const checkDeployInputs = (template: DeployTemplate, workload: Workload, inputs: Readonly<Record<string, string>>) => {
  const problems: string[] = [];
  for (const name of Object.keys(inputs)) {
    if (!template.inputs.has(name)) problems.push(`input '${name}' is not one template ${template.id} takes`);
  }
  for (const [name, input] of template.inputs) {
    const value = inputs[name];
    if (value === undefined) problems.push(`input '${name}' is missing`);
    else if (!SAFE_VALUE.test(value)) {
      problems.push(`input '${name}' may only hold letters, digits and . _ + = @ - (no wildcards, ':' or '/')`);
    } else if (!input.pattern.test(value)) problems.push(`input '${name}' must match ${input.pattern.source}`);
  }
  if (problems.length > 0) {
    throw new ValidationError('TEMPLATE_INPUT_INVALID', `template ${template.id}: ${problems.join('; ')}`);
  }
  for (const [name, input] of template.inputs) {
    const allowed = valuesFor(input, workload);
    const value = inputs[name] ?? '';
    if (allowed !== 'any' && !allowed.includes(value)) {
      throw new ForbiddenError(
        'INPUT_NOT_ALLOWED',
        `template ${template.id}: input ${name}=${value} is not allowed for repository ${workload.repository} (id ${workload.repositoryId}, owner id ${workload.ownerId}, issuer ${workload.issuerId}); ci.json lets it pass ${allowed.length === 0 ? 'no value' : allowed.join(', ')}`
      );
    }
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
  checkDeployInputs(template, workload, inputs);
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

export { checkDeployInputs, renderDeployScope, SAFE_VALUE };
