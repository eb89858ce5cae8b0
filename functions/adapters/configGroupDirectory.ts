import type { GroupDirectory } from '../ports.js';

/** Groups from groups.json (identity-sources.json `groups.source: groups-file`, the default). */
const configGroupDirectory = (groups: ReadonlyMap<string, readonly string[]>): GroupDirectory => {
  const byUser = new Map<string, string[]>();
  for (const [group, members] of groups) {
    for (const member of members) byUser.set(member, [...(byUser.get(member) ?? []), group]);
  }
  return { groupsOf: async (userId) => byUser.get(userId) ?? [] };
};

export { configGroupDirectory };
