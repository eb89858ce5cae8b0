import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import type { CiIssuer } from '../../config/ciConfig.js';
import { NotAuthenticatedError, ServiceUnavailableError } from '../../domain/errors.js';
import type { VerifiedToken } from '../../domain/workload.js';
import type { Clock, WorkloadTokenVerifier } from '../../ports.js';
import { fetchIssuerDocument, IssuerFetchError } from './issuerFetch.js';

/** CI runners' clocks drift a little; more tolerance would stretch every token's life. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** A token older than this is refused whatever its `exp`: CI tokens are minted for the call that uses them. */
const MAX_TOKEN_AGE = '1h';
const REQUIRED_CLAIMS = ['exp', 'iat', 'jti', 'sub'];

/**
 * Key sets by JWKS URL, in module scope: a warm Lambda reuses them (and jose's own cache of the
 * keys, refetched on an unknown `kid` at most every 30 s) across invocations. Every fetch goes
 * through fetchIssuerDocument, which backs off after a failure.
 */
const keySets = new Map<string, JWTVerifyGetKey>();
/** JWKS URLs found by OIDC discovery, per issuer; a failed discovery is retried after its backoff. */
const discovered = new Map<string, Promise<string>>();

const discoverJwksUri = (issuer: string): Promise<string> => {
  let found = discovered.get(issuer);
  if (found === undefined) {
    const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    found = fetchIssuerDocument(url, (document) =>
      typeof (document as { jwks_uri?: unknown } | null)?.jwks_uri === 'string' ? undefined : 'names no jwks_uri'
    ).then(({ document }) => (document as { jwks_uri: string }).jwks_uri);
    discovered.set(issuer, found);
    found.catch(() => discovered.delete(issuer));
  }
  return found;
};

const jwksProblem = (document: unknown): string | undefined =>
  Array.isArray((document as { keys?: unknown } | null)?.keys) ? undefined : 'is not a JSON Web Key Set';

const keySetOf = async (issuer: CiIssuer): Promise<JWTVerifyGetKey> => {
  const uri = issuer.jwksUri ?? (await discoverJwksUri(issuer.issuer));
  let keys = keySets.get(uri);
  if (keys === undefined) {
    keys = createRemoteJWKSet(new URL(uri), {
      [customFetch]: async (url, { headers, signal }) =>
        new Response((await fetchIssuerDocument(url, jwksProblem, { headers, signal })).text, { status: 200 }),
    });
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
  if (error instanceof IssuerFetchError) {
    return new ServiceUnavailableError(
      'ISSUER_KEYS_UNAVAILABLE',
      `the signing keys of issuer ${issuer.id} could not be fetched (${error.url} ${error.reason}); try again in ${error.retryInSeconds}s`,
      { cause: error }
    );
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

/** The protected header's `alg`, quoted and cut short for a message: it is the caller's text. */
const shown = (alg: unknown): string => JSON.stringify(alg)?.slice(0, 40) ?? 'none';

/**
 * Verifies CI tokens with jose against the configured issuers. The unverified `iss` only picks
 * which issuer's keys and rules apply, and the unverified `alg` is checked against that issuer's
 * algorithms before its keys are looked up: `none`, HMAC or anything else not configured costs the
 * broker no fetch. Nothing else is read before the signature verifies.
 */
const joseTokenVerifier = (issuers: readonly CiIssuer[], clock: Clock): WorkloadTokenVerifier => ({
  verify: async (token) => {
    let claimedIssuer: unknown;
    let alg: unknown;
    try {
      claimedIssuer = decodeJwt(token).iss;
      alg = decodeProtectedHeader(token).alg;
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
    if (typeof alg !== 'string' || !issuer.algorithms.includes(alg)) {
      throw refused(
        'TOKEN_ALGORITHM_NOT_ALLOWED',
        `token is signed with alg ${shown(alg)}, which issuer ${issuer.id} is not configured for (allowed: ${issuer.algorithms.join(', ')})`
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
