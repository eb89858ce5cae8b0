import type { Route } from '../functions/handlers/routes.js';

interface Match {
  readonly route: Route;
  readonly params: Record<string, string>;
}

/**
 * What a request path is: a route (`found`), a path some routes take with other methods
 * (`allowed` non-empty), no route at all, or a path parameter that is not valid percent-encoded
 * UTF-8 (`badEscape`: `/grants/%`, `/grants/%E0%A4%A/approve`), which API Gateway refuses with a 400.
 */
type Lookup =
  | { found: Match }
  | { found: undefined; allowed: readonly string[] }
  | { found: undefined; allowed: readonly []; badEscape: string };

/** Undefined when `raw` is not valid percent-encoded UTF-8 (decodeURIComponent's URIError). */
const decodeParam = (raw: string): string | undefined => {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
};

/** Compiles API Gateway path templates (`/grants/{id}`) once and matches request paths against them. */
const routeMatcher = (routes: readonly Route[]) => {
  const compiled = routes.map((route) => {
    const names: string[] = [];
    const pattern = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    return { route, names, regex: new RegExp(`^${pattern}$`) };
  });
  return (method: string, path: string): Lookup => {
    const candidates: Match[] = [];
    for (const { route, names, regex } of compiled) {
      const match = regex.exec(path);
      if (match === null) continue;
      const params: Record<string, string> = {};
      for (const [i, name] of names.entries()) {
        const raw = match[i + 1] ?? '';
        const value = decodeParam(raw);
        if (value === undefined) return { found: undefined, allowed: [], badEscape: raw };
        params[name] = value;
      }
      candidates.push({ route, params });
    }
    const found = candidates.find((c) => c.route.method === method);
    return found ? { found } : { found: undefined, allowed: candidates.map((c) => c.route.method) };
  };
};

export type { Lookup, Match };
export { routeMatcher };
