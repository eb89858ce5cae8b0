import { describe, expect, it } from 'vitest';
import { consoleSigninUrl, httpFederationEndpoint, loginUrl, signinTokenUrl } from '../../cli/console/federation.js';
import { BrokerUnreachableError, CliError } from '../../cli/errors.js';
import { credentialsExpiringIn, fakeFetch, jsonResponse } from './cliFakes.js';

const CREDENTIALS = credentialsExpiringIn(3_600_000, new Date('2026-11-23T12:00:00Z'), 'ASIACONSOLE');

describe('console sign-in through the federation endpoint', () => {
  it('builds the getSigninToken URL with the session as URL-encoded JSON and no SessionDuration', () => {
    const url = signinTokenUrl(CREDENTIALS);
    expect(url.origin + url.pathname).toBe('https://signin.aws.amazon.com/federation');
    expect(url.searchParams.get('Action')).toBe('getSigninToken');
    expect(url.searchParams.has('SessionDuration')).toBe(false);
    expect(JSON.parse(url.searchParams.get('Session')!)).toEqual({
      sessionId: 'ASIACONSOLE',
      sessionKey: 'secret-of-ASIACONSOLE',
      sessionToken: 'token-of-ASIACONSOLE',
    });
    expect(url.search).toContain('Session=%7B%22sessionId%22%3A%22ASIACONSOLE%22');
  });

  it('builds the login URL from the token, issuer and destination', () => {
    const url = loginUrl('tok/en+=', 'https://console.aws.amazon.com/s3/');
    expect(url.href).toBe(
      'https://signin.aws.amazon.com/federation?Action=login&Issuer=jit-broker&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2Fs3%2F&SigninToken=tok%2Fen%2B%3D'
    );
  });

  it('exchanges credentials for a token through the port, regional endpoint and console when asked', async () => {
    const asked: URL[] = [];
    const federation = {
      getSigninToken: async (url: URL) => {
        asked.push(url);
        return 'TOKEN-1';
      },
    };
    const url = await consoleSigninUrl(CREDENTIALS, federation, { region: 'eu-central-1' });
    expect(asked[0]!.host).toBe('eu-central-1.signin.aws.amazon.com');
    expect(url.host).toBe('eu-central-1.signin.aws.amazon.com');
    expect(url.searchParams.get('SigninToken')).toBe('TOKEN-1');
    expect(url.searchParams.get('Destination')).toBe('https://eu-central-1.console.aws.amazon.com/');
  });

  it('reads SigninToken over HTTP, and fails clearly when AWS refuses or cannot be reached', async () => {
    const ok = fakeFetch(() => jsonResponse(200, { SigninToken: 'T' }));
    expect(await httpFederationEndpoint(ok.fetch).getSigninToken(signinTokenUrl(CREDENTIALS))).toBe('T');

    const refused = fakeFetch(() => new Response('<html>bad</html>', { status: 400 }));
    await expect(httpFederationEndpoint(refused.fetch).getSigninToken(signinTokenUrl(CREDENTIALS))).rejects.toThrow(
      CliError
    );

    const down = httpFederationEndpoint((async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch);
    const failure = await down.getSigninToken(signinTokenUrl(CREDENTIALS)).catch((e: Error) => e);
    expect(failure).toBeInstanceOf(BrokerUnreachableError);
    expect((failure as Error).message).not.toContain('secret-of-');
  });
});
