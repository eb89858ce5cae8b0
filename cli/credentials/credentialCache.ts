import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VendedCredentials } from '../api/brokerApi.js';
import { sha256Hex } from './sha256.js';

/**
 * A vended session and when the broker last said its grant is live (this machine's clock, taken
 * before the request was sent, so the grant was live at that instant or later).
 */
interface CachedSession {
  readonly credentials: VendedCredentials;
  readonly liveAt: string;
}

/** Entries kept between runs of `credential_process`, which the AWS CLI does not cache. */
interface FileCache<T> {
  read(key: string): T | undefined;
  write(key: string, entry: T): void;
  remove(key: string): void;
}

/** Vended sessions, one per broker, grant and caller. */
type CredentialCache = FileCache<CachedSession>;

/**
 * Which grant a role's profile (`jit creds --role`) uses, and when the broker's list said so (this
 * machine's clock, taken before the list was asked). Only an id: the session stays in its own entry.
 */
interface RoleChoice {
  readonly grantId: string;
  readonly chosenAt: string;
}

/**
 * One entry per broker, grant and caller: two sandbox users (or two AWS profiles) on one machine
 * never read each other's credentials. Hashed so the file name leaks nothing.
 */
const cacheKey = (apiUrl: URL, grantId: string, principal: string): string =>
  sha256Hex(JSON.stringify([apiUrl.origin + apiUrl.pathname, grantId, principal]));

/** The role choice's entry: four fields hashed, so it can never share a name with a session's. */
const roleChoiceKey = (apiUrl: URL, roleId: string, principal: string): string =>
  sha256Hex(JSON.stringify([apiUrl.origin + apiUrl.pathname, 'role', roleId, principal]));

const looksLikeCredentials = (value: unknown): value is VendedCredentials => {
  const v = value as Partial<VendedCredentials> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.Version === 1 &&
    typeof v.AccessKeyId === 'string' &&
    typeof v.SecretAccessKey === 'string' &&
    typeof v.SessionToken === 'string' &&
    typeof v.Expiration === 'string'
  );
};

const looksLikeSession = (value: unknown): value is CachedSession => {
  const v = value as Partial<CachedSession> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    looksLikeCredentials(v.credentials) &&
    typeof v.liveAt === 'string' &&
    !Number.isNaN(Date.parse(v.liveAt))
  );
};

const looksLikeRoleChoice = (value: unknown): value is RoleChoice => {
  const v = value as Partial<RoleChoice> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.grantId === 'string' &&
    typeof v.chosenAt === 'string' &&
    !Number.isNaN(Date.parse(v.chosenAt))
  );
};

/**
 * Files readable only by the user (0600) in a directory only the user can enter (0700); an entry
 * that does not pass `accepts` (an older release's, a damaged file) is not served.
 */
const fileCache = <T>(directory: string, accepts: (value: unknown) => value is T): FileCache<T> => {
  const pathOf = (key: string) => join(directory, `${key}.json`);
  return {
    read(key) {
      try {
        const value: unknown = JSON.parse(readFileSync(pathOf(key), 'utf8'));
        return accepts(value) ? value : undefined;
      } catch {
        // Missing or half-written: behave as if nothing was cached and ask the broker again.
        return undefined;
      }
    },
    write(key, entry) {
      mkdirSync(directory, { recursive: true, mode: 0o700 });
      chmodSync(directory, 0o700);
      // Write beside and rename, so a concurrent reader sees the old entry or the new one, never half.
      const temporary = `${pathOf(key)}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(entry), { mode: 0o600 });
      chmodSync(temporary, 0o600);
      renameSync(temporary, pathOf(key));
    },
    remove(key) {
      rmSync(pathOf(key), { force: true });
    },
  };
};

const fileCredentialCache = (directory: string): CredentialCache => fileCache(directory, looksLikeSession);

const fileRoleChoices = (directory: string): FileCache<RoleChoice> => fileCache(directory, looksLikeRoleChoice);

export type { CachedSession, CredentialCache, FileCache, RoleChoice };
export { cacheKey, fileCredentialCache, fileRoleChoices, roleChoiceKey };
