import { z } from 'zod';
import { MIN_GRANT_SECONDS } from '../domain/grant.js';
import { MAX_SESSION_SECONDS } from '../domain/vending.js';
import { duration } from './duration.js';
import { IAM_ACTION, ROLE_ID } from './patterns.js';

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

/** What a CI job may ask for: a catalog role, narrowed to resources bound to its claims and inputs. */
interface DeployTemplate {
  readonly id: string;
  readonly role: string;
  readonly actions: readonly string[];
  /** With `${claims.<name>}` and `${inputs.<name>}` placeholders, filled in per deploy. */
  readonly resources: readonly string[];
  /** Each input a job may pass, and the pattern its value must match in full. */
  readonly inputs: ReadonlyMap<string, RegExp>;
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
const TEMPLATE_CLAIMS = ['repository', 'repositoryId', 'owner', 'ownerId', 'environment', 'ref', 'runId'] as const;

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
  .refine(isTrustedUrl, 'must be an https URL (http only on 127.0.0.1 or localhost, for a local issuer)');

const isPattern = (text: string): boolean => {
  try {
    new RegExp(`^(?:${text})$`);
    return true;
  } catch {
    return false;
  }
};

const issuerSchema = z.strictObject({
  id: z.string().regex(ID, 'must be lowercase letters, digits and dashes (2-63)'),
  issuer: trustedUrl,
  audience: z
    .string()
    .min(3)
    .max(256)
    .refine(
      (aud) => !/^sts\.amazonaws\.com(\.cn)?$/.test(aud),
      'use an audience only the broker accepts (for example jit-broker.<org>), not STS’s'
    ),
  jwksUri: trustedUrl.optional(),
  algorithms: z
    .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']))
    .min(1)
    .default(['RS256']),
  platform: z.enum(['github', 'gitlab']),
});

const placeholderProblems = (resource: string, inputs: readonly string[]): string[] =>
  [...resource.matchAll(PLACEHOLDER)].flatMap(([whole, inner]) => {
    const known = KNOWN_PLACEHOLDER.exec(inner ?? '');
    if (known === null) return [`'${whole}' is not a placeholder; use \${claims.<name>} or \${inputs.<name>}`];
    const [, kind, name] = known;
    if (kind === 'inputs' && !inputs.includes(name ?? ''))
      return [`'${whole}' names an input the template does not declare`];
    if (kind === 'claims' && !(TEMPLATE_CLAIMS as readonly string[]).includes(name ?? '')) {
      return [`'${whole}' names no claim a template may use (${TEMPLATE_CLAIMS.join(', ')})`];
    }
    return [];
  });

const templateSchema = z
  .strictObject({
    id: z.string().regex(ID, 'must be lowercase letters, digits and dashes (2-63)'),
    role: z.string().regex(ROLE_ID, 'must be a catalog role id'),
    actions: z.array(z.string().regex(IAM_ACTION, "must look like 'service:Action'")).min(1),
    resources: z.array(z.string().min(1).max(1900)).min(1),
    inputs: z
      .record(
        z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'input names are letters, digits and _'),
        z.strictObject({ pattern: z.string().min(1).max(200).refine(isPattern, 'must be a valid regular expression') })
      )
      .default({}),
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
  issuers: z.array(issuerSchema).default([]),
  templates: z.array(templateSchema).default([]),
});

type CiFile = z.output<typeof ciFileSchema>;

/** Problems that need the catalog too, or the whole list: unknown roles, duplicate ids. */
const ciReferenceProblems = (file: CiFile, roles: ReadonlySet<string> | undefined): string[] => {
  const problems: string[] = [];
  const duplicates = (ids: readonly string[], what: string) =>
    ids.forEach((id, index) => {
      if (ids.indexOf(id) !== index) problems.push(`${what}[${index}]: id '${id}' is used twice`);
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
      problems.push(`issuers[${index}]: issuer '${issuer.issuer}' is listed twice`);
    }
  });
  if (roles !== undefined) {
    file.templates.forEach((template, index) => {
      if (!roles.has(template.role))
        problems.push(`templates[${index}]: role '${template.role}' is not in the catalog`);
    });
  }
  return problems;
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
        inputs: new Map(Object.entries(t.inputs).map(([name, rule]) => [name, new RegExp(`^(?:${rule.pattern})$`)])),
        maxDurationSeconds: t.maxDuration,
      },
    ])
  ),
});

export type { CiConfig, CiFile, CiIssuer, DeployTemplate };
export { ciFileSchema, ciReferenceProblems, NO_CI, PLACEHOLDER, TEMPLATE_CLAIMS, toCiConfig };
