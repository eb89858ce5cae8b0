import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

interface Polled<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly reload: () => void;
}

/**
 * Loads now and again every `everyMs` while the tab is visible (a hidden tab costs nothing).
 * `key` changes (another user, another grant) reload at once and drop the old answer.
 */
const usePoll = <T>(load: () => Promise<T>, everyMs: number, key: string): Polled<T> => {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const loadRef = useRef(load);
  loadRef.current = load;
  const generation = useRef(0);

  const reload = useCallback(() => {
    const mine = ++generation.current;
    loadRef.current().then(
      (value) => {
        if (mine !== generation.current) return;
        setData(value);
        setError(undefined);
      },
      (failure: Error) => {
        if (mine === generation.current) setError(failure.message);
      }
    );
  }, []);

  // `key` is in the list on purpose: a new key (another user, another grant) starts over.
  useEffect(() => {
    setData(undefined);
    setError(undefined);
    reload();
    const timer = setInterval(() => {
      if (!document.hidden) reload();
    }, everyMs);
    return () => clearInterval(timer);
  }, [key, everyMs, reload]);

  return { data, error, reload };
};

export { usePoll };
