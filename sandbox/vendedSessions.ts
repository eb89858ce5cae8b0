import type { CredentialIssuer } from '../functions/ports.js';

/**
 * What STS knows about a session the broker vended, which the emulator does not keep (moto neither
 * enforces nor stores the session policy): the sandbox remembers it at vend time, keyed by the
 * access key id, for the recording proxy to play CloudTrail and IAM.
 */
interface VendedSession {
  readonly accessKeyId: string;
  /** The grant id: set as SourceIdentity at vend time. */
  readonly sourceIdentity: string;
  readonly roleArn: string;
  readonly assumedRoleArn: string;
  readonly sessionName: string;
  readonly tags: Readonly<Record<string, string>>;
  /** The session policy passed to AssumeRole (JSON). */
  readonly policy: string;
  /** When STS issued the session (`aws:TokenIssueTime`), on the broker's clock. */
  readonly issuedAt: string;
}

interface VendedSessions {
  sessionOf(accessKeyId: string): VendedSession | undefined;
}

/** Wraps the credential issuer so every vended session is remembered with its grant, policy and tags. */
const rememberingVends = (
  issuer: CredentialIssuer,
  now: () => Date
): { issuer: CredentialIssuer; sessions: VendedSessions } => {
  const byKey = new Map<string, VendedSession>();
  return {
    issuer: {
      issue: async (request) => {
        const issuedAt = now().toISOString();
        const issued = await issuer.issue(request);
        byKey.set(issued.accessKeyId, {
          accessKeyId: issued.accessKeyId,
          sourceIdentity: request.sourceIdentity,
          roleArn: request.roleArn,
          assumedRoleArn: issued.assumedRoleArn,
          sessionName: request.sessionName,
          tags: request.tags,
          policy: request.policy,
          issuedAt,
        });
        return issued;
      },
    },
    sessions: { sessionOf: (key) => byKey.get(key) },
  };
};

export type { VendedSession, VendedSessions };
export { rememberingVends };
