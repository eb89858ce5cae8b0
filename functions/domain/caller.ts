/** An authenticated person or workload, as the broker knows it. Never built from a request body. */
interface Caller {
  readonly userId: string;
  readonly groups: readonly string[];
}

const GROUP_PREFIX = 'group:';

/** Whether `caller` is one of `principals` (user ids, or `group:<name>` entries). */
const isAmong = (caller: Caller, principals: readonly string[]): boolean =>
  principals.some((p) =>
    p.startsWith(GROUP_PREFIX) ? caller.groups.includes(p.slice(GROUP_PREFIX.length)) : p === caller.userId
  );

export type { Caller };
export { GROUP_PREFIX, isAmong };
