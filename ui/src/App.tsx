import { useEffect, useState } from 'preact/hooks';
import { loadSession, setUser } from './api.js';
import { ErrorBox, Loading } from './components.js';
import { GrantPage } from './pages/GrantPage.js';
import { Inbox } from './pages/Inbox.js';
import { MyAccess } from './pages/MyAccess.js';
import { Security } from './pages/Security.js';
import { routeOf } from './view/route.js';
import type { SessionInfo } from './view/types.js';

const USER_KEY = 'jit-console-user';

const useHash = (): string => {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash;
};

const NAV = [
  ['#/access', 'My access'],
  ['#/inbox', 'Inbox'],
  ['#/security', 'Security'],
] as const;

const UserPicker = ({
  users,
  user,
  onPick,
}: {
  users: readonly string[];
  user: string;
  onPick: (u: string) => void;
}) => (
  <label class="user-picker">
    <span>Acting as (sandbox only)</span>
    <select value={user} onChange={(e) => onPick(e.currentTarget.value)}>
      {users.map((u) => (
        <option key={u} value={u}>
          {u}
        </option>
      ))}
    </select>
  </label>
);

const App = () => {
  const [session, setSession] = useState<SessionInfo | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [user, setUserState] = useState('');
  const hash = useHash();
  const route = routeOf(hash);

  useEffect(() => {
    loadSession().then(
      (info) => {
        const stored = window.localStorage.getItem(USER_KEY) ?? '';
        const pick = info.users?.includes(stored) ? stored : (info.users?.[0] ?? '');
        setUser(pick);
        setUserState(pick);
        setSession(info);
      },
      (failure: Error) => setError(failure.message)
    );
  }, []);

  const pickUser = (next: string) => {
    window.localStorage.setItem(USER_KEY, next);
    setUser(next);
    setUserState(next);
  };

  return (
    <>
      <header>
        <h1>jit-broker console</h1>
        <nav aria-label="pages">
          {NAV.map(([href, label]) => (
            <a key={href} href={href} aria-current={hash.startsWith(href) ? 'page' : undefined}>
              {label}
            </a>
          ))}
        </nav>
        {session?.mode === 'sandbox' && session.users ? (
          <UserPicker users={session.users} user={user} onPick={pickUser} />
        ) : session ? (
          <span class="muted">signed with your AWS credentials</span>
        ) : null}
      </header>
      <main>
        <ErrorBox message={error} />
        {session === undefined ? (
          error ? null : (
            <Loading />
          )
        ) : route.page === 'grant' ? (
          <GrantPage id={route.id} user={user} />
        ) : route.page === 'inbox' ? (
          <Inbox user={user} />
        ) : route.page === 'security' ? (
          <Security user={user} />
        ) : (
          <MyAccess user={user} session={session} />
        )}
      </main>
    </>
  );
};

export { App };
