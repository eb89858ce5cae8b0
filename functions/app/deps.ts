import type { BrokerConfig } from '../config/brokerConfig.js';
import type {
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
  KillLeases,
  Logger,
  OrgKillPolicy,
  PolicyEngine,
  RolePolicies,
  TokenReplayGuard,
  WorkloadTokenVerifier,
} from '../ports.js';
import type { KnownGrants } from './grantFacts.js';
import type { RecentGrants } from './recentGrants.js';

/** What the use cases need from the outside world; composed once per process (handlers/composeBroker.ts). */
interface BrokerDeps {
  readonly config: BrokerConfig;
  readonly store: GrantStore;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly directory: GroupDirectory;
  readonly logger: Logger;
  readonly actions: ActionCatalog;
  readonly credentials: CredentialIssuer;
  readonly rolePolicies: RolePolicies;
  /** One kill renderer per role (and for the organization) at a time: see killSessions. */
  readonly killLeases: KillLeases;
  /** The organization-wide kill SCP, when that kill mode is on (docs/ending-access.md). */
  readonly orgKill?: OrgKillPolicy;
  readonly expiry: ExpiryScheduler;
  readonly alerts: Alerts;
  /** Eligibility, approval rules, auto-approval, break-glass: Cedar policies from the configuration. */
  readonly policy: PolicyEngine;
  /** Grants this process recorded last: lets a re-vend skip its read (safe, see RecentGrants). */
  readonly recentGrants: RecentGrants;
  /** Grants the activity recorder has read: lets it file a known grant's calls without a read (safe, see KnownGrants). */
  readonly knownGrants: KnownGrants;
  /** CI jobs' OIDC tokens: verified against ci.json's issuers, each usable once. */
  readonly workloadTokens: WorkloadTokenVerifier;
  readonly replayGuard: TokenReplayGuard;
  /** What grants' sessions did (the live recorder writes it), and CloudTrail on demand. */
  readonly activity: ActivityStore;
  readonly activityLookup: ActivityLookup;
  /** Requests the policies refused, for the exceptions report. */
  readonly denials: DenialLog;
  /** The roles that have had grants, noted once per process (NotedOncePerProcess): reports read retired roles by it. */
  readonly grantedRoles: GrantedRoles;
  /** Signs every chain head as it is appended, and checks signatures (docs/audit.md). */
  readonly chainSigner: ChainSigner;
  /** The audit archive, read to compare with the table (`jit audit --archive`). */
  readonly archive: AuditArchiveReader;
}

export type { BrokerDeps };
