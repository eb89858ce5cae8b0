import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../../cli/errors.js';
import { runCli } from '../../cli/main.js';
import { credentialsExpiringIn, fakeContext, fakeFetch, grantView, jsonResponse } from './cliFakes.js';

const NOW = new Date('2026-11-23T12:00:00Z');
const TOKEN = 'signin-token-that-is-a-credential';

/** A broker that vends for g-1; `about` is what GET /sandbox answers. */
const machine = (about: object) => {
  const { fetch, sent } = fakeFetch((request) => {
    if (request.url.pathname === '/sandbox') return jsonResponse(200, about);
    if (request.method === 'POST') return jsonResponse(200, credentialsExpiringIn(3_600_000, NOW));
    return jsonResponse(200, grantView({ expiresAt: new Date(NOW.getTime() + 3_600_000).toISOString() }));
  });
  const federationUrls: URL[] = [];
  const recorded = fakeContext({
    fetch,
    now: () => NOW,
    env: {
      HOME: '/nonexistent-home',
      XDG_CACHE_HOME: '/nonexistent-cache',
      JIT_API_URL: 'http://127.0.0.1:8787',
      JIT_USER: 'alice',
    },
    federation: {
      getSigninToken: async (url) => {
        federationUrls.push(url);
        return TOKEN;
      },
    },
  });
  return { ...recorded, sent, federationUrls };
};

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('jit console', () => {
  it('in the sandbox with its emulator explains, exit 1, and never sends the keys to AWS sign-in', async () => {
    const m = machine({ awsEndpoint: 'http://127.0.0.1:45999', region: 'us-east-1' });
    expect(await runCli(['console', 'g-1'], m.context)).toBe(EXIT.usage);
    expect(m.stderr()).toContain('console sign-in needs real AWS: this sandbox vends keys for its AWS emulator');
    expect(m.federationUrls).toEqual([]);
    expect(m.sent.some((r) => r.method === 'POST')).toBe(false);
  });

  it('uses --region for the sign-in endpoint and console, and prints JSON with --json', async () => {
    const m = machine({}); // a sandbox vending from real AWS (npm start -- --aws): no emulator
    expect(await runCli(['console', 'g-1', '--region', 'eu-west-1', '--json'], m.context)).toBe(0);
    expect(m.federationUrls[0]?.origin).toBe('https://eu-west-1.signin.aws.amazon.com');
    const printed = JSON.parse(m.stdout()) as { url: string; grantId: string };
    expect(printed.grantId).toBe('g-1');
    expect(new URL(printed.url).searchParams.get('Destination')).toBe('https://eu-west-1.console.aws.amazon.com/');
  });

  it('with --open and no browser opener fails cleanly, without the sign-in URL anywhere', async () => {
    vi.stubEnv('PATH', '/nonexistent-bin');
    const m = machine({});
    expect(await runCli(['console', 'g-1', '--open'], m.context)).toBe(EXIT.unexpected);
    expect(m.stderr()).toMatch(/cannot open a browser: (xdg-open|open) is not installed; run without --open/);
    expect(m.stderr()).not.toContain(TOKEN);
    expect(m.stderr()).not.toContain('Opened');
    expect(m.stdout()).toBe('');
  });
});
