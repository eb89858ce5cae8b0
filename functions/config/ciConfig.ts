import * as z from 'zod/mini';
import { SAFE_VALUE } from '../domain/deployTemplate.js';
import { MIN_GRANT_SECONDS } from '../domain/grant.js';
import { MAX_SESSION_SECONDS } from '../domain/vending.js';
import { CI_FILE } from './brokerConfig.js';
import { describeIssues, pathText } from './describeIssues.js';
import { duration } from './duration.js';
import { lineOfPath } from './jsonLines.js';
import { IAM_ACTION, ROLE_ID } from './patterns.js';
import './zodMessages.js';

/** One trusted token issuer (a CI platform or instance) and the audience its tokens must carry for the broker. */
interface CiIssuer {
  readonly id: string;
  /** Compared exactly with the token's `iss`. */
  readonly issuer: string;
  readonly audience: string;
  /** Where the signing keys are; undefined means OIDC discovery from the issuer. */
  readonly jwksUri?: string;
  readonly algorithms: readonly string[];
  readonly platform: 'github' | 'gitlab';
}

/**
 * Which values of an input the jobs of some repositories may pass: those of `repositoryIds`, or of
 * any repository under `ownerIds`, of one issuer (ids are unique per issuer only). Immutable ids:
 * a name changes hands when a repository or owner is renamed, transferred or deleted.
 */
interface InputAllowance {
  readonly issuer: string;
  readonly repositoryIds: readonly string[];
  readonly ownerIds: readonly string[];
  readonly values: readonly string[];
}

/** One input a job may pass: the pattern its value must match in full, and who may pass which value. */
interface TemplateInput {
  readonly pattern: RegExp;
  /** `any`: every repository the policies admit may pass any matching value (`anyRepository: true`). */
  readonly allow: readonly InputAllowance[] | 'any';
}

/** What a CI job may ask for: a catalog role, narrowed to resources bound to its claims and inputs. */
interface DeployTemplate {
  readonly id: string;
  readonly role: string;
  readonly actions: readonly string[];
  /** With `${claims.<name>}` and `${inputs.<name>}` placeholders, filled in per deploy. */
  readonly resources: readonly string[];
  readonly inputs: ReadonlyMap<string, TemplateInput>;
  readonly maxDurationSeconds: number;
}

interface CiConfig {
  readonly issuers: readonly CiIssuer[];
  readonly templates: ReadonlyMap<string, DeployTemplate>;
}

const NO_CI: CiConfig = { issuers: [], templates: new Map() };

const ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
/** `${claims.x}` / `${inputs.x}`; anything else in `${…}` would be an IAM policy variable, which widens. */
const PLACEHOLDER = /\$\{([^}]*)\}/g;
const KNOWN_PLACEHOLDER = /^(claims|inputs)\.([A-Za-z_][A-Za-z0-9_]{0,63})$/;
/** Claims a template may name: the ones the broker checks against a safe charset before it substitutes. */
const TEMPLATE_CLAIMS = ['repositoryId', 'ownerId', 'environment', 'ref', 'runId'] as const;
/** Names that change hands (rename, transfer, deletion): a resource named by one could become another team's. */
const NAME_CLAIMS: Readonly<Record<string, string>> = { repository: 'repositoryId', owner: 'ownerId' };

/** https only: the keys that sign CI tokens must not come over plain HTTP, except from this machine. */
const isTrustedUrl = (text: string): boolean => {
  try {
    const url = new URL(text);
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && (url.hostname === '127.0.0.1' || url.hostname === 'localhost');
  } catch {
    return false;
  }
};
const trustedUrl = z
  .string()
  .check(z.refine(isTrustedUrl, 'must be an https URL (http only on 127.0.0.1 or localhost, for a local issuer)'));

const isPattern = (text: string): boolean => {
  try {
    new RegExp(`^(?:${text})$`);
    return true;
  } catch {
    return false;
  }
};

const issuerSchema = z.strictObject({
  id: z.string().check(z.regex(ID, 'must be lowercase letters, digits and dashes (2-63)')),
  issuer: trustedUrl,
  audience: z.string().check(
    z.minLength(3),
    z.maxLength(256),
    z.refine(
      (aud) => !/^sts\.amazonaws\.com(\.cn)?$/.test(aud),
      'use an audience only the broker accepts (for example jit-broker.<org>), not STS’s'
    )
  ),
  jwksUri: z.optional(trustedUrl),
  algorithms: z._default(
    z
      .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']))
      .check(z.minLength(1)),
    ['RS256']
  ),
  platform: z.enum(['github', 'gitlab']),
});

const placeholderProblems = (resource: string, inputs: readonly string[]): string[] =>
  [...resource.matchAll(PLACEHOLDER)].flatMap(([whole, inner]) => {
    const known = KNOWN_PLACEHOLDER.exec(inner ?? '');
    if (known === null) return [`'${whole}' is not a placeholder; use \${claims.<name>} or \${inputs.<name>}`];
    const [, kind, name] = known;
    if (kind === 'inputs' && !inputs.includes(name ?? ''))
      return [`'${whole}' names an input the template does not declare`];
    const id = NAME_CLAIMS[name ?? ''];
    if (kind === 'claims' && id !== undefined) {
      return [
        `'${whole}' is a name, and names change hands when a repository or owner is renamed, transferred or deleted: use \${claims.${id}}, or an input allowed per repository id`,
      ];
    }
    if (kind === 'claims' && !(TEMPLATE_CLAIMS as readonly string[]).includes(name ?? '')) {
      return [`'${whole}' names no claim a template may use (${TEMPLATE_CLAIMS.join(', ')})`];
    }
    return [];
  });

const ID_AS_STRING = 'must be a numeric id as a string ("123456"), as the token carries it';
/** The platforms' numeric ids, as their tokens carry them: strings of digits. */
const immutableIds = z
  .array(z.string(ID_AS_STRING).check(z.regex(/^[0-9]{1,20}$/, ID_AS_STRING)))
  .check(z.minLength(1));

const allowanceSchema = z
  .strictObject({
    issuer: z.string().check(z.regex(ID, 'must be the id of an issuer in this file')),
    repositoryIds: z.optional(immutableIds),
    ownerIds: z.optional(immutableIds),
    values: z
      .array(
        z
          .string()
          .check(z.regex(SAFE_VALUE, "may only hold letters, digits and . _ + = @ - (no wildcards, ':' or '/')"))
      )
      .check(z.minLength(1)),
  })
  .check(
    z.refine((a) => a.repositoryIds !== undefined || a.ownerIds !== undefined, {
      message: 'name the repositoryIds or ownerIds that may pass these values (ids, never names: names change hands)',
    })
  );

const inputSchema = z
  .strictObject({
    pattern: z
      .string()
      .check(z.minLength(1), z.maxLength(200), z.refine(isPattern, 'must be a valid regular expression')),
    allow: z.optional(z.array(allowanceSchema).check(z.minLength(1))),
    anyRepository: z.optional(z.literal(true, 'is either true or left out')),
  })
  .check(
    z.superRefine((input, ctx) => {
      if ((input.allow === undefined) === (input.anyRepository === undefined)) {
        ctx.addIssue({
          code: 'custom',
          message:
            input.allow === undefined
              ? "say which repositories may pass which values: 'allow': [{ issuer, repositoryIds or ownerIds, values }]; or 'anyRepository': true when any value of the pattern is fine for every repository the policies admit"
              : "give 'allow' or 'anyRepository', not both",
        });
      }
      const pattern = new RegExp(`^(?:${input.pattern})$`);
      input.allow?.forEach((allowance, a) => {
        allowance.values.forEach((value, v) => {
          if (!pattern.test(value)) {
            ctx.addIssue({
              code: 'custom',
              path: ['allow', a, 'values', v],
              message: `'${value}' does not match the input's pattern ${input.pattern}`,
            });
          }
        });
      });
    })
  );

const templateSchema = z
  .strictObject({
    id: z.string().check(z.regex(ID, 'must be lowercase letters, digits and dashes (2-63)')),
    role: z.string().check(z.regex(ROLE_ID, 'must be a catalog role id')),
    actions: z.array(z.string().check(z.regex(IAM_ACTION, "must look like 'service:Action'"))).check(z.minLength(1)),
    resources: z.array(z.string().check(z.minLength(1), z.maxLength(1900))).check(z.minLength(1)),
    inputs: z._default(
      z.record(
        z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'input names are letters, digits and _')),
        inputSchema
      ),
      {}
    ),
    maxDuration: duration(MIN_GRANT_SECONDS, MAX_SESSION_SECONDS),
  })
  .check(
    z.superRefine(
      (template: { inputs?: unknown; resources?: unknown }, ctx) => {
        const inputs =
          typeof template.inputs === 'object' && template.inputs !== null ? Object.keys(template.inputs) : [];
        (Array.isArray(template.resources) ? template.resources : []).forEach((resource, index) => {
          if (typeof resource !== 'string') return;
          for (const message of placeholderProblems(resource, inputs)) {
            ctx.addIssue({ code: 'custom', path: ['resources', index], message });
          }
        });
      },
      // Checked even when other fields of the template are wrong: every problem in one pass.
      { when: () => true } as never
    )
  );

const ciFileSchema = z.strictObject({
  schemaVersion: z.literal(1, 'this broker reads ci schemaVersion 1'),
  issuers: z._default(z.array(issuerSchema), []),
  templates: z._default(z.array(templateSchema), []),
});

type CiFile = z.output<typeof ciFileSchema>;

/** One problem in ci.json and where it is. */
interface CiProblem {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** Problems that need the catalog too, or the whole list: unknown roles and issuers, duplicate ids. */
const ciReferenceProblems = (file: CiFile, roles: ReadonlySet<string> | undefined): CiProblem[] => {
  const problems: CiProblem[] = [];
  const duplicates = (ids: readonly string[], what: string) =>
    ids.forEach((id, index) => {
      if (ids.indexOf(id) !== index) problems.push({ path: [what, index, 'id'], message: `id '${id}' is used twice` });
    });
  duplicates(
    file.issuers.map((i) => i.id),
    'issuers'
  );
  duplicates(
    file.templates.map((t) => t.id),
    'templates'
  );
  file.issuers.forEach((issuer, index) => {
    if (file.issuers.findIndex((i) => i.issuer === issuer.issuer) !== index) {
      problems.push({ path: ['issuers', index, 'issuer'], message: `issuer '${issuer.issuer}' is listed twice` });
    }
  });
  const issuerIds = new Set(file.issuers.map((i) => i.id));
  file.templates.forEach((template, index) => {
    if (roles !== undefined && !roles.has(template.role)) {
      problems.push({ path: ['templates', index, 'role'], message: `role '${template.role}' is not in the catalog` });
    }
    for (const [name, input] of Object.entries(template.inputs)) {
      input.allow?.forEach((allowance, a) => {
        if (!issuerIds.has(allowance.issuer)) {
          problems.push({
            path: ['templates', index, 'inputs', name, 'allow', a, 'issuer'],
            message: `issuer '${allowance.issuer}' is not one of this file's issuers (${[...issuerIds].join(', ') || 'none'})`,
          });
        }
      });
    }
  });
  return problems;
};

/**
 * ci.json checked on its own and against the catalog's roles: every problem as
 * `ci.json:<line>: <path>: <message>` (the line when the file's text is at hand), and the parsed
 * file when there were none.
 */
const checkCiFile = (
  document: unknown,
  source: string | undefined,
  roles: ReadonlySet<string> | undefined
): { file?: CiFile; problems: string[] } => {
  const located = ({ path, message }: CiProblem) => {
    const where = pathText(path);
    const line = source === undefined ? '' : `:${lineOfPath(source, path)}`;
    return `${CI_FILE}${line}: ${where === '' ? '' : `${where}: `}${message}`;
  };
  const result = ciFileSchema.safeParse(document);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({
      path: issue.path,
      message: describeIssues([{ ...issue, path: [] }])[0] ?? '',
    }));
    return { problems: issues.map(located) };
  }
  const problems = ciReferenceProblems(result.data, roles).map(located);
  return problems.length > 0 ? { problems } : { file: result.data, problems };
};

const toCiConfig = (file: CiFile): CiConfig => ({
  issuers: file.issuers,
  templates: new Map(
    file.templates.map((t) => [
      t.id,
      {
        id: t.id,
        role: t.role,
        actions: t.actions,
        resources: t.resources,
        inputs: new Map(
          Object.entries(t.inputs).map(([name, input]) => [
            name,
            {
              pattern: new RegExp(`^(?:${input.pattern})$`),
              allow:
                input.allow?.map((a) => ({
                  issuer: a.issuer,
                  repositoryIds: a.repositoryIds ?? [],
                  ownerIds: a.ownerIds ?? [],
                  values: a.values,
                })) ?? 'any',
            },
          ])
        ),
        maxDurationSeconds: t.maxDuration,
      },
    ])
  ),
});

export type { CiConfig, CiFile, CiIssuer, DeployTemplate, InputAllowance, TemplateInput };
export { checkCiFile, NO_CI, TEMPLATE_CLAIMS, toCiConfig };
