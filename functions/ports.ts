import type { AuditEvent } from './domain/auditChain.js';
import type { Grant, Transition } from './domain/grant.js';
import type { GrantState } from './domain/grantState.js';

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
  create(opened: Transition): Promise<void>;
  /** `from` is the grant as read; `to` is the result of applying a domain transition to it. */
  transition(from: Grant, to: Transition): Promise<void>;
  get(id: string): Promise<Grant | undefined>;
  listByRequester(userId: string, page: PageRequest): Promise<Page<Grant>>;
  /** Only non-terminal states are indexed. Ordered by deadline (pending window or expiry), earliest first. */
  listByState(state: GrantState, page: PageRequest): Promise<Page<Grant>>;
  listByRole(roleId: string, page: PageRequest): Promise<Page<Grant>>;
  auditTrail(grantId: string): Promise<readonly AuditEvent[]>;
}

interface Clock {
  now(): Date;
}

interface IdGenerator {
  grantId(): string;
}

/** Group membership. From configuration today; IAM Identity Center's identity store later. */
interface GroupDirectory {
  groupsOf(userId: string): Promise<readonly string[]>;
}

/** Structured logs. Never pass credentials or request bodies with secrets. */
interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type { Clock, GrantStore, GroupDirectory, IdGenerator, Logger, Page, PageRequest };
