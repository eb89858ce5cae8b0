/**
 * Puts `value` under `key` as the most recently used entry of `entries`, and drops the least
 * recently used one past `capacity`. A Map iterates in insertion order, so re-inserting a key makes
 * it the last, and the first key is the least recently used. Bounds the warm function's memory
 * however many grants it meets.
 */
const keepRecent = <V>(entries: Map<string, V>, key: string, value: V, capacity: number): void => {
  entries.delete(key);
  entries.set(key, value);
  if (entries.size > capacity) entries.delete(entries.keys().next().value as string);
};

export { keepRecent };
