import type { GrantAudit } from '../../functions/app/grantAudit.js';
import type { CallOutcome } from '../../functions/domain/callOutcome.js';
import type { ChainVerdict } from '../../functions/domain/chainVerdict.js';
import type { Grant, GrantRequest } from '../../functions/domain/grant.js';
import type { KillEffect } from '../../functions/domain/killEffect.js';
import type { Report } from '../../functions/domain/reports.js';
import type { ApiCall } from './brokerClient.js';

/** A grant as the API shows it (the store's chain head stays inside the broker). */
type GrantView = Omit<Grant, 'chainHead' | 'chainSignature'>;

/** The answer to done and revoke: the grant, and what became of its live sessions' kill (docs/ending-access.md). */
type EndedGrantView = GrantView & {
  readonly sessionKill?: {
    readonly status: 'applied' | 'pending' | 'failed' | 'not needed';
    readonly organization?: 'applied' | 'pending' | 'failed';
  };
};

interface GrantPage {
  readonly grants: readonly GrantView[];
  readonly nextCursor?: string;
}

interface AuditView {
  readonly grantId: string;
  /** `MISSING`: the table has no such grant; the archive has events of it (`--archive`, security only). */
  readonly state: Grant['state'] | 'MISSING';
  readonly chain: ChainVerdict;
  /** The kill record against the signed end event, once the grant ended with a kill. */
  readonly killRecord?: GrantAudit['killRecord'];
  /** With `compare=archive`: the table against the Object Lock archive. */
  readonly archive?: GrantAudit['archive'];
  readonly events: readonly {
    readonly seq: number;
    readonly type: string;
    readonly actor: string;
    readonly at: string;
    readonly fromState?: string;
    readonly toState: string;
    readonly details: Record<string, unknown>;
  }[];
  /** What the grant's sessions did, as recorded; `cloudTrail` only with `?lookup=cloudtrail`. */
  readonly activity?: ActivityView;
  readonly cloudTrail?: ActivityView & { readonly accessKeyIds: readonly string[] };
}

interface ActivityView {
  readonly source: 'recorder' | 'cloudtrail-lookup';
  readonly actions: Readonly<Record<string, number>>;
  readonly calls: number;
  readonly firstUsedAt?: string;
  readonly lastUsedAt?: string;
  readonly afterEndCount: number;
  readonly afterEnd: readonly {
    eventId: string;
    action: string;
    at: string;
    errorCode?: string;
    outcome?: CallOutcome;
  }[];
  /** Optional: brokers before these fields answer without them. */
  readonly afterEndOutcomes?: Readonly<Record<CallOutcome, number>>;
  readonly firstRefusedSinceEndAt?: string;
  readonly lastSucceededAfterEndAt?: string;
  readonly refusedWhileLive?: number;
  readonly kill?: KillEffect;
}

/** `GET /reports/summary` answers every kind at once. */
interface ReportSummary {
  readonly kind: 'summary';
  readonly from: string;
  readonly to: string;
  readonly reports: readonly Report[];
}

/** The `credential_process` shape the broker vends. */
interface VendedCredentials {
  readonly Version: 1;
  readonly AccessKeyId: string;
  readonly SecretAccessKey: string;
  readonly SessionToken: string;
  readonly Expiration: string;
}

/** `POST /grants?credentials=true`'s answer: the grant, and its first credentials when approved at once. */
type RequestedGrant = GrantView & {
  readonly credentials?: VendedCredentials;
  readonly credentialsError?: { readonly code: string; readonly message: string };
};

/** What the sandbox says about itself: the AWS emulator vended keys work against, and its Region. */
interface SandboxAbout {
  readonly awsEndpoint?: string;
  readonly region?: string;
}

const grantPath = (id: string, action = ''): string => `/grants/${encodeURIComponent(id)}${action}`;

/** One method per route of docs/openapi.json. */
const brokerApi = (call: ApiCall) => ({
  request: (request: GrantRequest) => call<GrantView>('POST', '/grants', { body: request }),
  /** A request that, approved at once, is answered with its first credentials (or why it has none). */
  requestWithCredentials: (request: GrantRequest) =>
    call<RequestedGrant>('POST', '/grants', { query: { credentials: 'true' }, body: request }),
  /** Your grants; with `inbox`, the ones you may approve; with `reviews`, break-glass grants security owes a review. */
  list: (options: { inbox?: boolean; reviews?: boolean; limit?: number; cursor?: string } = {}) =>
    call<GrantPage>('GET', '/grants', {
      query: {
        ...(options.inbox ? { inbox: 'true' } : {}),
        ...(options.reviews ? { reviews: 'true' } : {}),
        ...(options.limit === undefined ? {} : { limit: String(options.limit) }),
        ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
      },
    }),
  show: (id: string) => call<GrantView>('GET', grantPath(id)),
  audit: (id: string, options: { cloudTrail?: boolean; archive?: boolean } = {}) =>
    call<AuditView>('GET', grantPath(id, '/audit'), {
      query: {
        ...(options.cloudTrail ? { lookup: 'cloudtrail' } : {}),
        ...(options.archive ? { compare: 'archive' } : {}),
      },
    }),
  report: (kind: string, query: { from?: string; to?: string; reuseThreshold?: number }) =>
    call<Report | ReportSummary>('GET', `/reports/${encodeURIComponent(kind)}`, {
      query: {
        ...(query.from === undefined ? {} : { from: query.from }),
        ...(query.to === undefined ? {} : { to: query.to }),
        ...(query.reuseThreshold === undefined ? {} : { reuseThreshold: String(query.reuseThreshold) }),
      },
    }),
  approve: (id: string, comment?: string) =>
    call<GrantView>('POST', grantPath(id, '/approve'), { body: comment === undefined ? {} : { comment } }),
  deny: (id: string, comment: string) => call<GrantView>('POST', grantPath(id, '/deny'), { body: { comment } }),
  cancel: (id: string, comment?: string) =>
    call<GrantView>('POST', grantPath(id, '/cancel'), { body: comment === undefined ? {} : { comment } }),
  review: (id: string, comment: string) => call<GrantView>('POST', grantPath(id, '/review'), { body: { comment } }),
  vend: (id: string) => call<VendedCredentials>('POST', grantPath(id, '/credentials')),
  done: (id: string) => call<EndedGrantView>('POST', grantPath(id, '/done')),
  revoke: (id: string, reason: string) => call<EndedGrantView>('POST', grantPath(id, '/revoke'), { body: { reason } }),
  /** The loopback sandbox only: where its AWS emulator is (not an API route; 404 from older sandboxes). */
  sandbox: () => call<SandboxAbout>('GET', '/sandbox'),
  extend: (id: string, durationSeconds: number, reason: string) =>
    call<GrantView>('POST', grantPath(id, '/extend'), { body: { durationSeconds, reason } }),
});

type BrokerApi = ReturnType<typeof brokerApi>;

export type {
  ActivityView,
  AuditView,
  BrokerApi,
  EndedGrantView,
  GrantPage,
  GrantView,
  ReportSummary,
  RequestedGrant,
  SandboxAbout,
  VendedCredentials,
};
export { brokerApi };
