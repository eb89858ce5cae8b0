import type { VendedCredentials } from '../api/brokerApi.js';
import type { HttpFetch, HttpResponse } from '../api/httpTransport.js';
import { BrokerUnreachableError, CliError, EXIT } from '../errors.js';

/** AWS's sign-in federation endpoint (global; `https://<region>.signin.aws.amazon.com/federation` also works). */
const FEDERATION_ENDPOINT = 'https://signin.aws.amazon.com/federation';
const DEFAULT_DESTINATION = 'https://console.aws.amazon.com/';
const ISSUER = 'jit-broker';

/** The one HTTP call console sign-in needs; a port so tests use a fake and never reach AWS. */
interface FederationEndpoint {
  /** GETs the getSigninToken URL and returns its `SigninToken`. */
  getSigninToken(url: URL): Promise<string>;
}

const federationEndpointFor = (region?: string): string =>
  region === undefined ? FEDERATION_ENDPOINT : `https://${region}.signin.aws.amazon.com/federation`;

/**
 * Step 1: exchange the session credentials for a sign-in token. No SessionDuration: the console
 * session then lasts as long as the credentials (the broker's sessions are role-chained, ≤ 1 h).
 */
const signinTokenUrl = (credentials: VendedCredentials, endpoint = FEDERATION_ENDPOINT): URL => {
  const url = new URL(endpoint);
  url.searchParams.set('Action', 'getSigninToken');
  url.searchParams.set(
    'Session',
    JSON.stringify({
      sessionId: credentials.AccessKeyId,
      sessionKey: credentials.SecretAccessKey,
      sessionToken: credentials.SessionToken,
    })
  );
  return url;
};

/** Step 2: the login URL. It signs whoever opens it in for 15 minutes: treat it like a password. */
const loginUrl = (signinToken: string, destination = DEFAULT_DESTINATION, endpoint = FEDERATION_ENDPOINT): URL => {
  const url = new URL(endpoint);
  url.searchParams.set('Action', 'login');
  url.searchParams.set('Issuer', ISSUER);
  url.searchParams.set('Destination', destination);
  url.searchParams.set('SigninToken', signinToken);
  return url;
};

/** The real endpoint over HTTPS. Error text from AWS never contains the secret, but we still omit the URL. */
const httpFederationEndpoint = (fetchImpl: HttpFetch): FederationEndpoint => ({
  async getSigninToken(url) {
    let response: HttpResponse;
    try {
      response = await fetchImpl(url, { signal: AbortSignal.timeout(30_000) });
    } catch (error) {
      throw new BrokerUnreachableError(`cannot reach ${url.origin} for console sign-in: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const text = await response.text();
    let token: unknown;
    try {
      token = response.ok ? (JSON.parse(text) as { SigninToken?: unknown }).SigninToken : undefined;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string') {
      throw new CliError(
        EXIT.brokerFailed,
        `AWS sign-in refused the session (${response.status}): console sign-in needs real AWS credentials, not the sandbox's emulator`
      );
    }
    return token;
  },
});

/** Both steps: credentials → sign-in token → login URL. */
const consoleSigninUrl = async (
  credentials: VendedCredentials,
  federation: FederationEndpoint,
  options: { region?: string; destination?: string } = {}
): Promise<URL> => {
  const endpoint = federationEndpointFor(options.region);
  const token = await federation.getSigninToken(signinTokenUrl(credentials, endpoint));
  const destination =
    options.destination ??
    (options.region === undefined ? DEFAULT_DESTINATION : `https://${options.region}.console.aws.amazon.com/`);
  return loginUrl(token, destination, endpoint);
};

export type { FederationEndpoint };
export { consoleSigninUrl, httpFederationEndpoint, loginUrl, signinTokenUrl };
