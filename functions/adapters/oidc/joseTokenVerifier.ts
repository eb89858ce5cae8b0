import { createRemoteJWKSet, decodeJwt, errors, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import type { CiIssuer } from '../../config/ciConfig.js';
import { NotAuthenticatedError, ServiceUnavailableError } from '../../domain/errors.js';
import type { VerifiedToken } from '../../domain/workload.js';
import type { Clock, WorkloadTokenVerifier } from '../../ports.js';

/** CI runners' clocks drift a little; more tolerance would stretch every token's life. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** A token older than this is refused whatever its `exp`: CI tokens are minted for the call that uses them. */
const MAX_TOKEN_AGE = '1h';
const REQUIRED_CLAIMS = ['exp', 'iat', 'jti', 'sub'];
const JWKS_TIMEOUT_MS = 5000;

/**
 * Key sets by JWKS URL, in module scope: a warm Lambda reuses them (and jose's own cache of the
 * keys, refetched on an unknown `kid` at most every 30 s) across invocations.
 */
const keySets = new Map<string, JWTVerifyGetKey>();
/** JWKS URLs found by OIDC discovery, per issuer; a failed discovery is retried next time. */
const discovered = new Map<string, Promise<string>>();

const discoverJwksUri = (issuer: string): Promise<string> => {
  let found = discovered.get(issuer);
  if (found === undefined) {
    found = (async () => {
      const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
      const response = await fetch(url, { signal: AbortSignal.timeout(JWKS_TIMEOUT_MS) });
      if (!response.ok) throw new Error(`${url} answered ${response.status}`);
      const document = (await response.json()) as { jwks_uri?: unknown };
      if (typeof document.jwks_uri !== 'string') throw new Error(`${url} names no jwks_uri`);
      return document.jwks_uri;
    })();
    discovered.set(issuer, found);
    found.catch(() => discovered.delete(issuer));
  }
  return found;
};

const keySetOf = async (issuer: CiIssuer): Promise<JWTVerifyGetKey> => {
  const uri = issuer.jwksUri ?? (await discoverJwksUri(issuer.issuer));
  let keys = keySets.get(uri);
  if (keys === undefined) {
    keys = createRemoteJWKSet(new URL(uri), { timeoutDuration: JWKS_TIMEOUT_MS });
    keySets.set(uri, keys);
  }
  return keys;
};

const refused = (code: string, message: string): NotAuthenticatedError => new NotAuthenticatedError(code, message);

const at = (seconds: unknown): string =>
  typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : 'an unreadable time';

/** jose's errors, as messages that say which claim failed which rule. */
const translate = (error: unknown, issuer: CiIssuer): Error => {
  const tolerance = `(clock tolerance ${CLOCK_TOLERANCE_SECONDS}s)`;
  if (error instanceof errors.JWTExpired) {
    return error.claim === 'iat'
      ? refused(
          'TOKEN_TOO_OLD',
          `token was issued at ${at(error.payload.iat)}, more than ${MAX_TOKEN_AGE} ago; mint a fresh one`
        )
      : refused('TOKEN_EXPIRED', `token expired at ${at(error.payload.exp)} ${tolerance}; mint a fresh one`);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const { claim, reason, payload } = error;
    if (reason === 'missing') return refused('TOKEN_CLAIM_MISSING', `token has no '${claim}' claim, which is required`);
    if (claim === 'aud') {
      return refused(
        'TOKEN_AUDIENCE_MISMATCH',
        `token audience ${JSON.stringify(payload.aud)} is not '${issuer.audience}', the broker's audience for issuer ${issuer.id}; request the token with that audience`
      );
    }
    if (claim === 'iss') return refused('TOKEN_ISSUER_UNTRUSTED', `token issuer is not exactly '${issuer.issuer}'`);
    if (claim === 'nbf')
      return refused('TOKEN_NOT_YET_VALID', `token is not valid before ${at(payload.nbf)} ${tolerance}`);
    if (claim === 'iat')
      return refused(
        'TOKEN_ISSUED_IN_FUTURE',
        `token claims to be issued at ${at(payload.iat)}, in the future ${tolerance}`
      );
    return refused('TOKEN_CLAIM_INVALID', `token claim '${claim}' is invalid: ${error.message}`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return refused(
      'TOKEN_ALGORITHM_NOT_ALLOWED',
      `token is signed with an algorithm issuer ${issuer.id} is not configured for (allowed: ${issuer.algorithms.join(', ')})`
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return refused('TOKEN_SIGNATURE_INVALID', `token signature does not verify with any key of issuer ${issuer.id}`);
  }
  if (
    error instanceof errors.JWKSTimeout ||
    error instanceof errors.JWKSInvalid ||
    !(error instanceof errors.JOSEError)
  ) {
    return new ServiceUnavailableError(
      'ISSUER_KEYS_UNAVAILABLE',
      `the signing keys of issuer ${issuer.id} could not be fetched; try again shortly`,
      { cause: error }
    );
  }
  return refused('TOKEN_MALFORMED', `token could not be verified: ${error.message}`);
};

/**
 * Verifies CI tokens with jose against the configured issuers. The unverified `iss` only picks
 * which issuer's keys and rules apply; nothing else is read before the signature verifies.
 */
const joseTokenVerifier = (issuers: readonly CiIssuer[], clock: Clock): WorkloadTokenVerifier => ({
  verify: async (token) => {
    let claimedIssuer: unknown;
    try {
      claimedIssuer = decodeJwt(token).iss;
    } catch {
      throw refused('TOKEN_MALFORMED', 'the bearer token is not a JWT');
    }
    const issuer = issuers.find((i) => i.issuer === claimedIssuer);
    if (issuer === undefined) {
      throw refused(
        'TOKEN_ISSUER_UNTRUSTED',
        `token issuer ${JSON.stringify(claimedIssuer)} is not trusted; trusted issuers: ${issuers.map((i) => i.issuer).join(', ') || 'none (ci.json lists no issuers)'}`
      );
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await keySetOf(issuer), {
        issuer: issuer.issuer,
        audience: issuer.audience,
        algorithms: [...issuer.algorithms],
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        maxTokenAge: MAX_TOKEN_AGE,
        requiredClaims: REQUIRED_CLAIMS,
        currentDate: clock.now(),
      }));
    } catch (error) {
      throw translate(error, issuer);
    }
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) {
      throw refused('TOKEN_CLAIM_INVALID', "token claim 'jti' must be a non-empty string of at most 256 characters");
    }
    return {
      issuerId: issuer.id,
      platform: issuer.platform,
      claims: payload,
      jti: payload.jti,
      expiresAt: new Date((payload.exp ?? 0) * 1000),
    } satisfies VerifiedToken;
  },
});

export { CLOCK_TOLERANCE_SECONDS, joseTokenVerifier };
