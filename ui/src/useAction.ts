import { useState } from 'preact/hooks';

/**
 * A button's call to the API: busy while it runs, and the API's message when it fails (shown by
 * the page, never swallowed). `then` runs only on success.
 */
const useAction = () => {
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const run = async (call: () => Promise<unknown>, then: () => void = () => {}): Promise<void> => {
    setBusy(true);
    setError(undefined);
    try {
      await call();
      then();
    } catch (failure) {
      setError((failure as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, run, setError };
};

export { useAction };
