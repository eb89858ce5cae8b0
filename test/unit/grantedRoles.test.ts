import { describe, expect, it } from 'vitest';
import { NotedOncePerProcess } from '../../functions/app/grantedRoles.js';
import { capturingLogger } from '../helpers/fixtures.js';

/** A port that records each note it is asked for, failing while `failing` is set. */
const port = () => {
  const writes: string[] = [];
  const state = { failing: false };
  return {
    writes,
    state,
    port: {
      note: async (roleId: string) => {
        writes.push(roleId);
        if (state.failing) throw new Error('ProvisionedThroughputExceededException');
      },
      list: async () => [...new Set(writes)],
    },
  };
};

describe('NotedOncePerProcess', () => {
  it('writes each role once per process', async () => {
    const p = port();
    const roles = new NotedOncePerProcess(p.port, capturingLogger().logger);
    await roles.note('prod-read');
    await roles.note('prod-read');
    await roles.note('prod-admin');
    await roles.note('prod-read');
    expect(p.writes).toEqual(['prod-read', 'prod-admin']);
    expect(await roles.list()).toEqual(['prod-read', 'prod-admin']);
  });

  it('does not fail its caller when a note fails, logs it as an error, and tries again on the next grant', async () => {
    const p = port();
    const { logger, lines } = capturingLogger();
    const roles = new NotedOncePerProcess(p.port, logger);
    p.state.failing = true;
    await expect(roles.note('prod-read')).resolves.toBeUndefined();
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({
        level: 'error',
        roleId: 'prod-read',
        error: expect.objectContaining({ message: 'ProvisionedThroughputExceededException' }),
      }),
    ]);
    p.state.failing = false;
    await roles.note('prod-read');
    await roles.note('prod-read');
    expect(p.writes).toEqual(['prod-read', 'prod-read']);
  });
});
