import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { fakeContext, fakeFetch, jsonResponse } from './cliFakes.js';

/** `jit done` and `jit revoke` say what the broker's answer says about the kill, and no more. */
describe('jit done and revoke report the kill as the broker answered it', () => {
  const endWith = async (argv: string[], sessionKill: unknown) => {
    const network = fakeFetch(() =>
      jsonResponse(200, { id: 'g-1', state: argv[0] === 'done' ? 'ENDED' : 'REVOKED', sessionKill })
    );
    const { context, stdout, stderr } = fakeContext({ fetch: network.fetch });
    const code = await runCli(argv, context);
    return { code, text: `${stdout()}\n${stderr()}` };
  };

  it.each([
    [{ status: 'applied' }, 'g-1 is ENDED: its live sessions are denied'],
    [{ status: 'pending' }, 'will be denied as soon as the kill being written on its role includes it'],
    [{ status: 'failed' }, 'could not be written yet; security is alerted'],
    [{ status: 'not needed' }, 'none of its credentials was still valid'],
    [{ status: 'applied', organization: 'pending' }, '(organization-wide kill: pending)'],
    [undefined, 'the broker did not say whether its live sessions are denied yet'],
  ])('done answered %j → %s', async (sessionKill, expected) => {
    const { code, text } = await endWith(['done', 'g-1'], sessionKill);
    expect(code).toBe(0);
    expect(text).toContain(expected);
    expect(text).not.toContain('no longer work');
  });

  it('revoke too', async () => {
    const { text } = await endWith(['revoke', 'g-1', '--reason', 'incident 42'], { status: 'pending' });
    expect(text).toContain('g-1 is REVOKED: its live sessions will be denied as soon as');
  });
});
