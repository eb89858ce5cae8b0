import type { z } from 'zod';
import { GROUP_PREFIX } from '../domain/caller.js';
import type { CatalogRole } from '../domain/catalog.js';
import { ConfigurationError } from '../domain/errors.js';
import { type BrokerConfig, CONFIG_FILES, type ConfigFileKey } from './brokerConfig.js';
import { catalogFileSchema, groupsFileSchema, identitySourcesFileSchema } from './configSchema.js';
import { describeIssues } from './describeIssues.js';

type ConfigDocuments = Record<ConfigFileKey, unknown>;

/**
 * Validates the whole configuration and reports every problem at once, each prefixed with the file
 * it is in. Throws ConfigurationError; returns a config that the broker can trust completely.
 */
const parseConfig = (documents: ConfigDocuments): BrokerConfig => {
  const problems: string[] = [];
  const parse = <S extends z.ZodType>(key: ConfigFileKey, schema: S): z.output<S> | undefined => {
    const result = schema.safeParse(documents[key]);
    if (result.success) return result.data;
    problems.push(...describeIssues(result.error.issues).map((p) => `${CONFIG_FILES[key]}: ${p}`));
    return undefined;
  };
  const catalogFile = parse('catalog', catalogFileSchema);
  const groupsFile = parse('groups', groupsFileSchema);
  const identityFile = parse('identitySources', identitySourcesFileSchema);
  if (catalogFile === undefined || groupsFile === undefined || identityFile === undefined) {
    throw new ConfigurationError(problems);
  }

  const groups = new Map(Object.entries(groupsFile.groups));
  const where = (index: number, id: string) => `${CONFIG_FILES.catalog}: roles[${index}] (${id})`;
  const membersOf = (entry: string): string[] =>
    entry.startsWith(GROUP_PREFIX) ? [...(groups.get(entry.slice(GROUP_PREFIX.length)) ?? [])] : [entry];
  const checkGroupsExist = (entries: readonly string[], prefix: string) => {
    for (const entry of entries) {
      if (entry.startsWith(GROUP_PREFIX) && !groups.has(entry.slice(GROUP_PREFIX.length))) {
        problems.push(`${prefix}: '${entry}' is not defined in ${CONFIG_FILES.groups}`);
      }
    }
  };

  checkGroupsExist(catalogFile.security, `${CONFIG_FILES.catalog}: security`);
  const roles = new Map<string, CatalogRole>();
  catalogFile.roles.forEach((role, index) => {
    if (roles.has(role.id)) problems.push(`${where(index, role.id)}: id '${role.id}' is used by another role`);
    checkGroupsExist(role.approval.approvers, `${where(index, role.id)}.approval.approvers`);
    const distinctApprovers = new Set(role.approval.approvers.flatMap(membersOf)).size;
    if (role.approval.required > distinctApprovers) {
      problems.push(
        `${where(index, role.id)}.approval.required: needs ${role.approval.required} approvals but only ${distinctApprovers} distinct approver(s) can give one`
      );
    }
    roles.set(role.id, {
      id: role.id,
      description: role.description,
      roleArn: role.roleArn,
      accountId: role.roleArn.split(':')[4] ?? '',
      maxDurationSeconds: role.maxDuration,
      scopeCeiling: role.scopeCeiling,
      approval: {
        approvers: role.approval.approvers,
        required: role.approval.required,
        pendingWindowSeconds: role.approval.pendingWindow,
      },
    });
  });
  if (problems.length > 0) throw new ConfigurationError(problems);

  return {
    catalog: { version: catalogFile.version, roles },
    security: catalogFile.security,
    groups,
    identitySources: identityFile.sources,
  };
};

export type { ConfigDocuments };
export { parseConfig };
