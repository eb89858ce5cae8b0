import * as z from 'zod/mini';
import { NO_ANOMALY_RULES } from '../domain/anomaly.js';
import { GROUP_PREFIX } from '../domain/caller.js';
import type { CatalogRole } from '../domain/catalog.js';
import { ConfigurationError } from '../domain/errors.js';
import type { compilePolicies, PolicyFile } from '../policy/policySet.js';
import { policySchemaText } from '../policy/schema.js';
import { parseAnomalyConfig } from './anomalyConfig.js';
import { type BrokerConfig, CONFIG_FILES, type ConfigFileKey, type GroupSource, POLICIES_DIR } from './brokerConfig.js';
import { checkCiFile, NO_CI, toCiConfig } from './ciConfig.js';
import { catalogFileSchema, groupsFileSchema, identitySourcesFileSchema } from './configSchema.js';
import { describeIssues } from './describeIssues.js';
import './zodMessages.js';

/** The JSON documents by key, and the policy files (`policies/*.cedar`) as text. */
type ConfigDocuments = Record<Exclude<ConfigFileKey, 'groups'>, unknown> & {
  /** groups.json; absent when groups come from the identity store. */
  groups?: unknown;
  readonly policies?: readonly PolicyFile[];
  /** ci.json, when there is one, and its text (for line numbers in problems). */
  readonly ci?: unknown;
  readonly ciSource?: string;
  /** anomaly.json's text, when there is one. */
  readonly anomaly?: string;
};

/**
 * Just the fields the cross-file checks need, read leniently, so a role with a schema problem
 * still has its references checked in the same pass.
 */
const roleReferences = z.object({ id: z.string() });
const catalogReferences = z.object({
  security: z.optional(z.array(z.string())),
  roles: z.array(z.unknown()),
});

/** Problems that need two files together: group references, duplicate role ids. */
const referenceProblems = (catalog: unknown, groups: ReadonlyMap<string, readonly string[]>): string[] => {
  const problems: string[] = [];
  const refs = catalogReferences.safeParse(catalog);
  if (!refs.success) return problems;
  const undefinedGroups = (entries: readonly string[], where: string) => {
    for (const entry of entries) {
      if (entry.startsWith(GROUP_PREFIX) && !groups.has(entry.slice(GROUP_PREFIX.length))) {
        problems.push(`${where}: '${entry}' is not defined in ${CONFIG_FILES.groups}`);
      }
    }
  };
  undefinedGroups(refs.data.security ?? [], `${CONFIG_FILES.catalog}: security`);
  const seenIds = new Set<string>();
  refs.data.roles.forEach((raw, index) => {
    const role = roleReferences.safeParse(raw);
    if (!role.success) return;
    const { id } = role.data;
    const where = `${CONFIG_FILES.catalog}: roles[${index}] (${id})`;
    if (seenIds.has(id)) problems.push(`${where}: id '${id}' is used by another role`);
    seenIds.add(id);
  });
  return problems;
};

const toCatalogRole = (role: z.output<typeof catalogFileSchema>['roles'][number]): CatalogRole => ({
  id: role.id,
  description: role.description,
  roleArn: role.roleArn,
  accountId: role.roleArn.split(':')[4] ?? '',
  maxDurationSeconds: role.maxDuration,
  scopeCeiling: role.scopeCeiling,
  ...(role.privileged === undefined ? {} : { privileged: role.privileged }),
});

/** The policy compiler (policy/policySet.ts), given by those who decide: it brings Cedar with it. */
type PolicyCompiler = typeof compilePolicies;

/**
 * Validates the whole configuration and reports every problem at once, each prefixed with the file
 * it is in. `earlierProblems` (files that could not be read) are reported with the rest; a missing
 * document is simply not checked. Throws ConfigurationError; returns a config the broker can trust.
 *
 * The policies are compiled with `compile`. Without it (a Lambda function that never decides, whose
 * bundle ships neither Cedar nor the policies) they are not read at all, and the config's policy
 * list is empty: such a function has no policy engine to decide with (handlers/lambda), and the
 * policies are checked at synth and by every function that decides.
 */
const checkConfig = (
  documents: Partial<ConfigDocuments>,
  earlierProblems: readonly string[],
  compile: PolicyCompiler | undefined
): BrokerConfig => {
  const problems = [...earlierProblems];
  const parse = <S extends z.ZodMiniType>(key: ConfigFileKey, schema: S): z.output<S> | undefined => {
    if (!(key in documents)) return undefined;
    const result = schema.safeParse(documents[key]);
    if (result.success) return result.data;
    problems.push(...describeIssues(result.error.issues).map((p) => `${CONFIG_FILES[key]}: ${p}`));
    return undefined;
  };
  const catalogFile = parse('catalog', catalogFileSchema);
  const identityFile = parse('identitySources', identitySourcesFileSchema);
  const groupSource = identityFile?.groups ?? { source: 'groups-file' };
  // With identity-sources.json broken, where groups should come from is unknown: nothing to say about groups.json.
  if (identityFile !== undefined) problems.push(...groupsDocumentProblems(documents, groupSource));
  const groupsFile = parse('groups', groupsFileSchema);
  const groups = new Map(Object.entries(groupsFile?.groups ?? {}));
  if (groupsFile !== undefined) problems.push(...referenceProblems(documents.catalog, groups));
  const policyFiles = documents.policies ?? [];
  if (compile !== undefined && documents.policies !== undefined && policyFiles.length === 0) {
    problems.push(`${POLICIES_DIR}/: no *.cedar files; without policies every request would be denied`);
  }
  const ciFile = ciDocument(documents, problems, catalogFile?.roles);
  const catalogRoles = catalogFile === undefined ? undefined : new Set(catalogFile.roles.map((r) => r.id));
  const anomaly =
    documents.anomaly === undefined ? NO_ANOMALY_RULES : parseAnomalyConfig(documents.anomaly, catalogRoles, problems);
  const schema = compile === undefined ? '' : policySchemaText();
  const roles = catalogRoles === undefined ? {} : { roles: catalogRoles };
  // Identity-store groups are only known at request time: their references cannot be checked here.
  const compiled =
    compile === undefined
      ? { policies: [], problems: [] }
      : compile(
          policyFiles,
          schema,
          groupSource.source === 'identity-store' ? roles : groupsFile === undefined ? undefined : { ...roles, groups }
        );
  problems.push(...compiled.problems);
  if (problems.length > 0 || catalogFile === undefined || identityFile === undefined || anomaly === undefined) {
    throw new ConfigurationError(problems);
  }
  return {
    catalog: { version: catalogFile.version, roles: new Map(catalogFile.roles.map((r) => [r.id, toCatalogRole(r)])) },
    security: catalogFile.security,
    groups,
    groupSource,
    identitySources: identityFile.sources,
    policies: { policies: compiled.policies, settings: catalogFile.policy, schema },
    ci: ciFile === undefined ? NO_CI : toCiConfig(ciFile),
    anomaly,
  };
};

/** groups.json must be there when groups come from it, and must not be when they come from the identity store. */
const groupsDocumentProblems = (documents: Partial<ConfigDocuments>, source: GroupSource): string[] => {
  const present = 'groups' in documents;
  if (source.source === 'groups-file' && !present) {
    return [
      `${CONFIG_FILES.groups} is missing: groups come from it unless ${CONFIG_FILES.identitySources} says "groups": { "source": "identity-store", … }`,
    ];
  }
  if (source.source === 'identity-store' && present) {
    return [
      `${CONFIG_FILES.groups}: remove it — groups come from the identity store (${CONFIG_FILES.identitySources}: groups.source), and two sources of membership would disagree`,
    ];
  }
  return [];
};

/** ci.json, checked on its own and against the catalog's role ids; undefined when absent or broken. */
const ciDocument = (
  documents: Partial<ConfigDocuments>,
  problems: string[],
  roles: readonly { id: string }[] | undefined
) => {
  if (documents.ci === undefined) return undefined;
  const checked = checkCiFile(documents.ci, documents.ciSource, roles && new Set(roles.map((r) => r.id)));
  problems.push(...checked.problems);
  return checked.file;
};

export type { ConfigDocuments, PolicyCompiler };
export { checkConfig };
