import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where the broker's Cedar schema is: beside this module, or JIT_POLICY_SCHEMA in a bundle. */
const policySchemaPath = (): string =>
  process.env.JIT_POLICY_SCHEMA ?? fileURLToPath(new URL('./schema.cedarschema', import.meta.url));

let cached: string | undefined;

/** The schema text (functions/policy/schema.cedarschema), read once. */
const policySchemaText = (): string => {
  cached ??= readFileSync(policySchemaPath(), 'utf8');
  return cached;
};

/** Cedar entity and action type names, in one place. */
const JIT = {
  user: 'Jit::User',
  workload: 'Jit::Workload',
  group: 'Jit::Group',
  role: 'Jit::Role',
  account: 'Jit::Account',
  action: 'Jit::Action',
} as const;

type PolicyAction = 'request' | 'autoApprove' | 'breakGlass' | 'approve' | 'ciDeploy' | 'ciForkPullRequest';

export type { PolicyAction };
export { JIT, policySchemaPath, policySchemaText };
