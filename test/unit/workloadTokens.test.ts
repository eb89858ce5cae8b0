import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { joseTokenVerifier } from '../../functions/adapters/oidc/joseTokenVerifier.js';
import { workloadOf } from '../../functions/domain/workload.js';
import { manualClock } from '../helpers/fixtures.js';
import { githubDeployClaims, LOCAL_AUDIENCE, type LocalIssuer, startLocalIssuer } from '../helpers/localIssuer.js';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('CI token verification (jose, against a local issuer on 127.0.0.1)', () => {
  let issuer: LocalIssuer;
  const clock = manualClock(new Date());
  beforeAll(async () => {
    issuer = await startLocalIssuer();
  });
  afterAll(() => issuer.close());
  const verifier = () => joseTokenVerifier([issuer.config()], { now: () => new Date() });
  const refusal = async (token: string) => {
    const error = await verifier()
      .verify(token)
      .then(
        () => new Error('expected the token to be refused'),
        (e: unknown) => e
      );
    return {
      code: (error as { code?: string }).code,
      message: (error as Error).message,
      kind: (error as { kind?: string }).kind,
    };
  };

  it('accepts a token of the configured issuer and audience, and reads the job from its claims', async () => {
    const verified = await verifier().verify(await issuer.mint());
    expect(verified).toMatchObject({ issuerId: 'github-actions', platform: 'github' });
    expect(workloadOf(verified)).toMatchObject({
      repository: 'example-org/app',
      repositoryId: '1001',
      refProtected: true,
      environment: 'staging',
      workflowSha: 'c9ed89cf4dacf01feb527c42a26e0a8920d14c61',
      runnerEnvironment: 'github-hosted',
      runId: '7001',
      jobId: '9001',
      isForkPullRequest: false,
    });
  });

  it('keeps the key set across verifiers (warm invocations): one JWKS fetch for many tokens', async () => {
    const before = issuer.jwksFetches();
    for (let i = 0; i < 3; i++) await joseTokenVerifier([issuer.config()], clock).verify(await issuer.mint());
    expect(issuer.jwksFetches() - before).toBeLessThanOrEqual(1);
  });

  it('finds the keys by OIDC discovery when no jwksUri is configured', async () => {
    const { jwksUri: _, ...discovering } = issuer.config('discovering');
    const verified = await joseTokenVerifier([discovering], clock).verify(await issuer.mint());
    expect(verified.issuerId).toBe('discovering');
  });

  it.each([
    [
      'a forged signature (a key the JWKS does not hold)',
      { signWith: 'other-key' as const },
      'TOKEN_SIGNATURE_INVALID',
      'does not verify',
    ],
    ['a wrong audience', { audience: 'sts.amazonaws.com' }, 'TOKEN_AUDIENCE_MISMATCH', `not '${LOCAL_AUDIENCE}'`],
    ['an untrusted issuer', { issuer: 'https://evil.example' }, 'TOKEN_ISSUER_UNTRUSTED', 'is not trusted'],
    ['an expired token', { expiresIn: -120 }, 'TOKEN_EXPIRED', '(clock tolerance 30s)'],
    ['a token not yet valid', { notBefore: 600, expiresIn: 900 }, 'TOKEN_NOT_YET_VALID', 'not valid before'],
    ['a token issued in the future', { issuedAt: 600, expiresIn: 900 }, 'TOKEN_ISSUED_IN_FUTURE', 'in the future'],
    ['a token without jti', { jti: null }, 'TOKEN_CLAIM_MISSING', "'jti'"],
  ])('refuses %s with 401 and says which claim failed', async (_name, options, code, message) => {
    const answer = await refusal(await issuer.mint(githubDeployClaims(), options));
    expect(answer).toMatchObject({ code, kind: 'unauthenticated' });
    expect(answer.message).toContain(message);
  });

  it('tolerates 30 s of clock skew, and no more', async () => {
    expect((await verifier().verify(await issuer.mint(githubDeployClaims(), { expiresIn: -20 }))).jti).toBeTruthy();
    expect((await refusal(await issuer.mint(githubDeployClaims(), { expiresIn: -45 }))).code).toBe('TOKEN_EXPIRED');
  });

  it('refuses alg none and HS256 from the protected header, before fetching any key of the issuer', async () => {
    const fresh = await startLocalIssuer();
    try {
      const { jwksUri: _, ...discovering } = fresh.config('fresh');
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        ...githubDeployClaims(),
        iss: fresh.issuer,
        aud: LOCAL_AUDIENCE,
        jti: 'x',
        iat: now,
        exp: now + 300,
      };
      const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims)}.`;
      const hs256 = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'HS256', kid: 'local-1' })
        .sign(new TextEncoder().encode('a-shared-secret-of-32-bytes-long!'));
      for (const [token, alg] of [
        [unsigned, 'none'],
        [hs256, 'HS256'],
      ] as const) {
        const error = await joseTokenVerifier([discovering], clock)
          .verify(token)
          .catch((e: unknown) => e);
        expect(error).toMatchObject({ code: 'TOKEN_ALGORITHM_NOT_ALLOWED', kind: 'unauthenticated' });
        expect((error as Error).message).toContain(`alg "${alg}", which issuer fresh is not configured for`);
      }
      expect([fresh.discoveryFetches(), fresh.jwksFetches()]).toEqual([0, 0]);
    } finally {
      await fresh.close();
    }
  });

  it('refuses what is not a JWT at all', async () => {
    expect((await refusal('not-a-token')).code).toBe('TOKEN_MALFORMED');
  });

  it('refuses a verified token that lacks a claim the broker needs to know the job', async () => {
    const { repository_id: _, ...claims } = githubDeployClaims();
    const verified = await verifier().verify(await issuer.mint(claims));
    expect(() => workloadOf(verified)).toThrow(/'repository_id'/);
  });

  it('reads GitLab’s claims: project and namespace ids, pipeline and job, fork merge requests', async () => {
    const gitlab = joseTokenVerifier([{ ...issuer.config('gitlab-local'), platform: 'gitlab' }], clock);
    const claims = {
      sub: 'project_path:example-org/app:ref_type:branch:ref:main',
      project_path: 'example-org/app',
      project_id: 3001,
      namespace_path: 'example-org',
      namespace_id: 4001,
      ref: 'main',
      ref_type: 'branch',
      ref_protected: 'true',
      environment: 'staging',
      ci_config_ref_uri: 'gitlab.com/example-org/app//.gitlab-ci.yml@refs/heads/main',
      pipeline_source: 'push',
      ci_config_sha: 'a1b2c3',
      pipeline_id: 5001,
      job_id: 6001,
      runner_environment: 'gitlab-hosted',
    };
    expect(workloadOf(await gitlab.verify(await issuer.mint(claims)))).toMatchObject({
      platform: 'gitlab',
      repository: 'example-org/app',
      repositoryId: '3001',
      ownerId: '4001',
      refProtected: true,
      workflowRef: 'gitlab.com/example-org/app//.gitlab-ci.yml@refs/heads/main',
      workflowSha: 'a1b2c3',
      runnerEnvironment: 'gitlab-hosted',
      runId: '5001',
      runAttempt: '6001',
      jobId: '6001',
      isForkPullRequest: false,
    });
    const fork = { ...claims, pipeline_source: 'merge_request_event', source_project_id: 9999 };
    expect(workloadOf(await gitlab.verify(await issuer.mint(fork))).isForkPullRequest).toBe(true);
  });

  it('counts every pull request event as a possible fork (GitHub’s token cannot tell)', async () => {
    const verified = await verifier().verify(await issuer.mint(githubDeployClaims({ event_name: 'pull_request' })));
    expect(workloadOf(verified).isForkPullRequest).toBe(true);
  });
});

describe('an issuer whose keys cannot be fetched: failures are remembered, not repeated per call', () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const clock = { now: () => new Date() };
  /** Only Date is faked: the backoff reads it, while sockets and timeouts run for real. */
  const later = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000);

  it.each([
    ['OIDC discovery', 'discovery'],
    ['the JWKS', 'jwks'],
  ] as const)(
    'backs off after a failed fetch of %s, doubling to a bound, and picks up the recovered issuer',
    async (_what, which) => {
      // A fresh issuer each: key sets and failures are remembered per URL for the whole process.
      const issuer = await startLocalIssuer();
      try {
        vi.useFakeTimers({ toFake: ['Date'] });
        const fetches = which === 'discovery' ? issuer.discoveryFetches : issuer.jwksFetches;
        const { jwksUri: _, ...discovering } = issuer.config();
        const verifier = joseTokenVerifier([which === 'discovery' ? discovering : issuer.config()], clock);
        const outcome = async () =>
          verifier
            .verify(await issuer.mint())
            .then(() => 'verified')
            .catch((e: { code?: string }) => e.code);
        issuer.fail(500);
        for (let i = 0; i < 20; i++) expect(await outcome()).toBe('ISSUER_KEYS_UNAVAILABLE');
        expect(fetches()).toBe(1);

        later(2.5); // past the first backoff (2 s): one more attempt, which fails again
        expect(await outcome()).toBe('ISSUER_KEYS_UNAVAILABLE');
        expect(await outcome()).toBe('ISSUER_KEYS_UNAVAILABLE');
        expect(fetches()).toBe(2);
        later(2.5); // the second backoff is 4 s: still waiting
        expect(await outcome()).toBe('ISSUER_KEYS_UNAVAILABLE');
        expect(fetches()).toBe(2);

        for (let i = 0; i < 8; i++) {
          later(61); // never more than 60 s between attempts
          await outcome();
        }
        expect(fetches()).toBe(10);
        const message = await verifier.verify(await issuer.mint()).catch((e: Error) => e.message);
        expect(message).toMatch(/ answered HTTP 500\); try again in 60s$/);

        issuer.fail(undefined);
        later(61);
        expect(await outcome()).toBe('verified');
        for (let i = 0; i < 5; i++) expect(await outcome()).toBe('verified');
        expect(fetches()).toBe(11);
      } finally {
        await issuer.close();
      }
    }
  );
});
