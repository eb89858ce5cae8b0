import type { GrantActivity } from '../../../functions/domain/activity.js';
import type { AuditEvent } from '../../../functions/domain/auditChain.js';
import type { ChainVerdict } from '../../../functions/domain/chainVerdict.js';
import type { Grant } from '../../../functions/domain/grant.js';
import type { KillEffect } from '../../../functions/domain/killEffect.js';
import type { Cell, Report } from '../../../functions/domain/reports.js';

/*
 * The API's shapes as the console reads them: the domain's own types with what the views
 * (functions/handlers/grantView.ts) leave out. Type-only imports: none of that code is bundled.
 */
type GrantView = Omit<Grant, 'chainHead' | 'chainSignature'>;
type AuditEventView = Omit<AuditEvent, 'grantId'>;
type ActivityView = Omit<GrantActivity, 'grantId'> & { readonly source: string; readonly kill?: KillEffect };

interface AuditView {
  readonly grantId: string;
  readonly state: string;
  readonly chain: ChainVerdict;
  readonly events: readonly AuditEventView[];
  readonly activity: ActivityView;
  readonly cloudTrail?: ActivityView;
}

type ReportView = Report;

/** A catalog role as the request form offers it, with its ceiling for the scope hints. */
interface SessionRole {
  readonly id: string;
  readonly description?: string;
  readonly maxDuration?: string;
  readonly actions?: readonly string[];
  readonly resources?: readonly string[];
}

/** What the page's host says about itself: the sandbox (pick a user) or `jit ui` (signed as you). */
interface SessionInfo {
  readonly mode: 'sandbox' | 'signed';
  readonly users?: readonly string[];
  readonly roles?: readonly SessionRole[];
  /** The API's base URL as the CLI should see it, for the profile line. */
  readonly apiUrl: string;
}

export type { ActivityView, AuditEventView, AuditView, Cell, GrantView, ReportView, SessionInfo, SessionRole };
