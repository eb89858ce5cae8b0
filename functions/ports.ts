import type { ActivityUse, CloudTrailRecord, GrantActivity, RefusedCall } from './domain/activity.js';
import type { AuditEvent, HeadSignature } from './domain/auditChain.js';
import type { CallClass } from './domain/callOutcome.js';
import type { SignatureCheck } from './domain/chainVerdict.js';
import type { Grant, KillRecord, Transition } from './domain/grant.js';
import type { GrantState } from './domain/grantState.js';
import type {
  ApprovalCheck,
  ApprovalFacts,
  RequestDecision,
  RequestFacts,
  WorkloadDecision,
  WorkloadFacts,
} from './domain/policy.js';
import type { DenialRecord } from './domain/reports.js';
import type { VerifiedToken } from './domain/workload.js';

interface Page<T> {
  readonly items: readonly T[];
  /** Opaque; pass it back to get the next page. Absent on the last page. */
  readonly nextCursor?: string;
}

interface PageRequest {
  readonly limit: number;
  readonly cursor?: string;
}

/**
 * Where grants and their audit chains live. Every write is atomic: the grant and its event are
 * stored together or not at all, and a transition only lands if the grant is still in the state
 * and version it was read at (otherwise ConcurrentUpdateError).
 */
interface GrantStore {
  /**
   * Stores a new grant with its first event. `then`, when given, is a transition decided on the
   * opened grant in the same request (a policy's approval): it lands in the same write, so the
   * table never holds the grant without it, and it costs no second write.
   */
  create(opened: Transition, then?: Transition): Promise<void>;
  /** `from` is the grant as read; `to` is the result of applying a domain transition to it. */
  transition(from: Grant, to: Transition): Promise<void>;
  get(id: string): Promise<Grant | undefined>;
  /** Several grants at once, read as `get` reads one; ids with no grant are left out. */
  getMany(ids: readonly string[]): Promise<readonly Grant[]>;
  listByRequester(userId: string, page: PageRequest): Promise<Page<Grant>>;
  /** Only non-terminal states are indexed. Ordered by deadline (pending window or expiry), earliest first. */
  listByState(state: GrantState, page: PageRequest): Promise<Page<Grant>>;
  listByRole(roleId: string, page: PageRequest): Promise<Page<Grant>>;
  auditTrail(grantId: string): Promise<readonly AuditEvent[]>;
  /** Kill records of one role, live or not: the session-kill policy is rendered from them. */
  listKills(roleArn: string): Promise<readonly StoredKill[]>;
  /** Every kill record, earliest `until` first: for the sweeper's pruning and reconciliation. */
  listAllKills(): Promise<readonly StoredKill[]>;
  deleteKill(kill: KillRecord): Promise<void>;
  /**
   * Records kills in force, each with its grant's audit event, in as few transactions as the store
   * allows: for each, the grant's event and the kill's applied mark for its scope land together, once
   * (a kill already marked for that scope is skipped). Answers the ones whose grant changed since it
   * was read: read those again and retry.
   */
  recordKillsApplied(applied: readonly KillApplied[]): Promise<readonly KillApplied[]>;
  /**
   * Prunes a kill whose credentials have expired: the grant's audit event and the kill record's
   * deletion together, once (a kill already gone is a ConcurrentUpdateError).
   */
  recordKillPruned(from: Grant, to: Transition, kill: KillRecord): Promise<void>;
}

/** The part of the store the kill renderer uses: the kill records and the grants they belong to. */
type KillStore = Pick<
  GrantStore,
  'get' | 'getMany' | 'listKills' | 'listAllKills' | 'deleteKill' | 'recordKillsApplied' | 'recordKillPruned'
>;

/** Where a kill is in force: the target role's inline kill policy, or the organization's kill SCP. */
type KillScope = 'role' | 'organization';

/** A kill record as stored, with when each scope's policy first included it. */
type StoredKill = KillRecord & {
  readonly appliedAt?: string;
  readonly orgAppliedAt?: string;
  /**
   * Set when the record differs from its grant's signed chain (docs/audit.md): the other fields
   * then hold what the chain signed, and this says what the table held instead.
   */
  readonly tampered?: string;
};

/** One kill put in force in one scope: `to` is the grant with its `grant.sessions-killed` event. */
interface KillApplied {
  readonly from: Grant;
  readonly to: Transition;
  readonly kill: KillRecord;
  readonly scope: KillScope;
}

/** A renderer's hold on one kill target (a role, or the organization): see KillLeases. */
interface KillLease {
  readonly token: string;
  /** How many kills had been announced to holders of this lease when it was last read. */
  readonly notices: number;
}

/**
 * One renderer per kill target at a time (docs/ending-access.md). A lease runs until `until` unless
 * renewed, so a holder that dies is taken over. Whoever records a kill while another renderer holds
 * the lease only announces it (`notify`); the holder renders again until it releases with no new
 * announcement, so the last policy it writes includes every kill announced to it.
 */
interface KillLeases {
  /** Takes the target's lease if it is free or expired at `now`; undefined when someone else holds it. */
  claim(target: string, now: Date, until: Date): Promise<KillLease | undefined>;
  /** Announces a recorded kill to the live holder; false when no lease is live at `now` (claim it instead). */
  notify(target: string, now: Date): Promise<boolean>;
  /** Extends the lease and reads its announcements; undefined when another renderer took it over. */
  renew(target: string, lease: KillLease, until: Date): Promise<KillLease | undefined>;
  /**
   * Gives the lease up — unless kills were announced since `lease.notices` ('notified': the lease is
   * still held, render again) or it was taken over ('lost'). `force` releases it whatever was announced.
   */
  release(target: string, lease: KillLease, force?: boolean): Promise<'released' | 'notified' | 'lost'>;
}

/**
 * The broker's signing key for audit chain heads (docs/audit.md): KMS in AWS, a local key in the
 * sandbox. `sign` fails (ServiceUnavailableError) rather than answer without a signature, so no
 * event is stored unsigned. `verify` answers 'untrusted-key' for a signature by any key but the
 * broker's own: a table writer cannot bring their own key.
 */
interface ChainSigner {
  sign(statement: string): Promise<Pick<HeadSignature, 'keyId' | 'algorithm' | 'value'>>;
  verify(statement: string, signature: Pick<HeadSignature, 'keyId' | 'algorithm' | 'value'>): Promise<SignatureCheck>;
}

/**
 * What the audit archive (S3 with Object Lock; a directory in the sandbox) holds of one grant:
 * each event as first archived, and whatever looks wrong in the archive itself (an event written
 * twice, a delete marker, an object that is not an event).
 */
interface AuditArchiveReader {
  eventsOf(grantId: string): Promise<{ readonly events: readonly AuditEvent[]; readonly problems: readonly string[] }>;
}

/** What the broker asks STS for: one role session narrowed to one grant's task. */
interface SessionRequest {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly sourceIdentity: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The session policy JSON, already checked against the 2,048-character limit. */
  readonly policy: string;
  readonly durationSeconds: number;
}

interface IssuedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  readonly assumedRoleArn: string;
}

/**
 * STS AssumeRole. Adapters translate STS errors: PackedPolicyTooLarge / MalformedPolicyDocument →
 * ValidationError saying what to narrow; AccessDenied → ServiceUnavailableError naming the trust
 * policy to fix; throttling and outages → ServiceUnavailableError.
 */
interface CredentialIssuer {
  issue(request: SessionRequest): Promise<IssuedCredentials>;
}

interface InlinePolicy {
  readonly name: string;
  /** Decoded JSON text, as it would be written. */
  readonly document: string;
}

/**
 * IAM inline policies of a target role. `delete` of a missing policy succeeds (idempotent).
 * A missing role → ServiceUnavailableError TARGET_ROLE_MISSING; IAM's LimitExceeded → ConflictError
 * INLINE_POLICY_BUDGET.
 */
interface RolePolicies {
  list(roleArn: string): Promise<readonly InlinePolicy[]>;
  put(roleArn: string, policy: InlinePolicy): Promise<void>;
  delete(roleArn: string, name: string): Promise<void>;
}

/**
 * The organization's kill SCP (optional, docs/ending-access.md): one pre-created service control
 * policy whose whole content the broker owns. Adapters translate: a missing policy or a refused call
 * → ServiceUnavailableError naming what to deploy; a document over the size limit → ConflictError.
 */
interface OrgKillPolicy {
  /** The policy's current content, as the organization holds it. */
  read(): Promise<string>;
  write(document: string): Promise<void>;
}

/**
 * One one-time schedule per grant that ends it at its expiry. Both calls are idempotent:
 * `schedule` creates or moves the grant's schedule, `cancel` of a missing schedule succeeds.
 */
interface ExpiryScheduler {
  schedule(grantId: string, at: Date): Promise<void>;
  cancel(grantId: string): Promise<void>;
}

/** The IAM action catalog (which actions exist), behind a port so the domain stays pure. */
interface ActionCatalog {
  /** Concrete `service:Action` names matching `pattern` (`*` and `?` wildcards); undefined for an unknown service. */
  expand(pattern: string): Promise<readonly string[] | undefined>;
  /** The closest existing action or service prefix to a misspelt one, for error messages. */
  suggest(action: string): Promise<string | undefined>;
  /** Whether IAM has the condition key (global `aws:…` or a service's, tag keys like `aws:ResourceTag/team` included). */
  knowsConditionKey(key: string): Promise<boolean>;
}

/** Loud, operator-facing events (EventBridge/SNS in AWS; the console in the sandbox). */
interface Alerts {
  raise(
    kind:
      | 'kill-overflow'
      | 'kill-failed'
      | 'schedule-failed'
      | 'break-glass'
      | 'used-after-end'
      | 'anomaly'
      | 'audit-tampered',
    details: Record<string, unknown>
  ): Promise<void>;
}

interface Clock {
  now(): Date;
}

interface IdGenerator {
  grantId(): string;
}

/** Group membership: groups.json, or IAM Identity Center's identity store (identity-sources.json `groups`). */
interface GroupDirectory {
  groupsOf(userId: string): Promise<readonly string[]>;
}

/**
 * Policy as code (Cedar in the broker; see docs/policy.md). Decisions are pure functions of the
 * facts and the loaded policies, and always say which policies decided and why.
 */
interface PolicyEngine {
  /** Eligibility, approval rule, auto-approval and break-glass for one request. */
  decideRequest(facts: RequestFacts): Promise<RequestDecision>;
  /**
   * Whether a request decision on `roleId` can read `context.elevationsInWindow`: when no policy
   * that can apply to it does, the broker need not count the requester's grants (a read).
   */
  readsElevations(roleId: string): boolean;
  /** Whether an approver (already named by the grant) may approve this request. */
  mayApprove(facts: ApprovalFacts): Promise<ApprovalCheck>;
  /** Whether a CI workload may deploy with this role and template now (action `ciDeploy`). */
  decideWorkload(facts: WorkloadFacts): Promise<WorkloadDecision>;
}

/**
 * Verifies a CI job's OIDC token against the configured issuers: signature by the issuer's keys,
 * exact issuer, the broker's audience, allowed algorithms, exp/nbf/iat. Throws
 * NotAuthenticatedError with a code and a message naming the claim that failed.
 */
interface WorkloadTokenVerifier {
  verify(token: string): Promise<VerifiedToken>;
}

/**
 * Each token id is used once. `consume` records it until the token expires; a second call with the
 * same id before then throws NotAuthenticatedError TOKEN_REPLAYED.
 */
interface TokenReplayGuard {
  consume(issuerId: string, jti: string, expiresAt: Date): Promise<void>;
}

/**
 * What grants' sessions did, as recorded from CloudTrail (docs/audit.md). `record` is idempotent per
 * CloudTrail event id: a redelivered event answers 'duplicate' and changes no count.
 */
interface ActivityStore {
  /** Files the call as `filed` says (its outcome, and when it came relative to the grant's end). */
  record(use: ActivityUse, filed: CallClass): Promise<'recorded' | 'duplicate'>;
  get(grantId: string): Promise<GrantActivity>;
  /** Calls AWS refused while the grant was live, `from <= at <= to`, earliest first: what anomaly rules count. */
  refusedWhileLive(grantId: string, period: { from: string; to: string }): Promise<readonly RefusedCall[]>;
}

/**
 * CloudTrail Event history (LookupEvents), one access key id per call, paced under the account's
 * 2 requests per second. Throttling is retried; outages become ServiceUnavailableError.
 */
interface ActivityLookup {
  lookup(accessKeyIds: readonly string[], window: { from: Date; to: Date }): Promise<readonly CloudTrailRecord[]>;
}

/** Requests the policies refused: the only trace they leave, for the exceptions report. */
interface DenialLog {
  record(denial: DenialRecord): Promise<void>;
  /** Denials with `from <= at <= to`, earliest first. */
  list(period: { from: string; to: string }): Promise<readonly DenialRecord[]>;
}

/**
 * The roles that have had grants, catalog or not: reports and reviews read grants per role (the
 * byRole index), and a role removed from the catalog keeps its grants' history there.
 */
interface GrantedRoles {
  /** Records that `roleId` has had a grant; idempotent, and concurrent notes of one role do not conflict. */
  note(roleId: string): Promise<void>;
  /** Every role recorded, in no particular order. */
  list(): Promise<readonly string[]>;
}

/** Structured logs. Never pass credentials or request bodies with secrets. */
interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type {
  ActionCatalog,
  ActivityLookup,
  ActivityStore,
  Alerts,
  AuditArchiveReader,
  ChainSigner,
  Clock,
  CredentialIssuer,
  DenialLog,
  ExpiryScheduler,
  GrantedRoles,
  GrantStore,
  GroupDirectory,
  IdGenerator,
  InlinePolicy,
  IssuedCredentials,
  KillApplied,
  KillLease,
  KillLeases,
  KillScope,
  KillStore,
  Logger,
  OrgKillPolicy,
  Page,
  PageRequest,
  PolicyEngine,
  RolePolicies,
  SessionRequest,
  StoredKill,
  TokenReplayGuard,
  WorkloadTokenVerifier,
};
