type Route = { readonly page: 'access' | 'inbox' | 'security' } | { readonly page: 'grant'; readonly id: string };

/** The page a location hash names; anything unknown is "My access". */
const routeOf = (hash: string): Route => {
  const grant = /^#\/grant\/(g-[0-9a-z]{26})$/.exec(hash);
  if (grant?.[1]) return { page: 'grant', id: grant[1] };
  if (hash === '#/inbox') return { page: 'inbox' };
  if (hash === '#/security') return { page: 'security' };
  return { page: 'access' };
};

export type { Route };
export { routeOf };
