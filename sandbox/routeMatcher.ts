import type { Route } from '../functions/handlers/routes.js';

interface Match {
  readonly route: Route;
  readonly params: Record<string, string>;
}

type Lookup = { found: Match } | { found: undefined; allowed: readonly string[] };

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
    const candidates = compiled.flatMap(({ route, names, regex }) => {
      const match = regex.exec(path);
      if (match === null) return [];
      const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1] ?? '')]));
      return [{ route, params }];
    });
    const found = candidates.find((c) => c.route.method === method);
    return found ? { found } : { found: undefined, allowed: candidates.map((c) => c.route.method) };
  };
};

export type { Match };
export { routeMatcher };
