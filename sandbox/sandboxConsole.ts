import type { BrokerConfig } from '../functions/config/brokerConfig.js';
import { bundleUi } from '../ui/build.js';
import { type StaticResponse, serveUi } from '../ui/server/staticUi.js';
import type { SessionInfo } from '../ui/src/view/types.js';

/** Answers a request under /ui, or undefined for the API's paths. */
type StaticRoute = (method: string, pathname: string) => StaticResponse | undefined;

/**
 * What the console needs to know about the sandbox: its users (everyone groups.json names, for the
 * user picker; the page sends the chosen one as x-jit-user) and the catalog's roles with their ceilings.
 */
const sandboxSession = (config: BrokerConfig, apiUrl: string): SessionInfo => ({
  mode: 'sandbox',
  users: [...new Set([...config.groups.values()].flat())].sort(),
  roles: [...config.catalog.roles.values()].map((role) => ({
    id: role.id,
    description: role.description,
    maxDuration: `${Math.round(role.maxDurationSeconds / 60)}m`,
    actions: role.scopeCeiling.actions,
    resources: role.scopeCeiling.resources,
  })),
  apiUrl,
});

/** The console at /ui, bundled in memory at start (about a second of esbuild; nothing written to disk). */
const sandboxConsole = async (config: BrokerConfig, apiUrl: () => string): Promise<StaticRoute> => {
  const files = await bundleUi();
  // Built once the server's address is known (it is fixed from then on), not for every request.
  let session: SessionInfo | undefined;
  return (method, pathname) => {
    const url = apiUrl();
    if (session?.apiUrl !== url) session = sandboxSession(config, url);
    return serveUi(files, session, method, pathname);
  };
};

export type { StaticRoute };

/**
 * The console's address with this start's token in the fragment: browsers never send a fragment to
 * a server or in a Referer, and the page moves it to this tab's sessionStorage at once (ui/src/api.ts).
 */
const consoleUrl = ({ apiUrl, token }: { readonly apiUrl: string; readonly token: string }): string =>
  `${apiUrl}/ui/#token=${token}`;

export { consoleUrl, sandboxConsole, sandboxSession };
