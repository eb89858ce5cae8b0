import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import type { Report } from '../../functions/domain/reports.js';
import { fakeContext, fakeFetch, jsonResponse } from './cliFakes.js';

/** `jit report` never lets a list cut at the row limit pass for the whole period. */
describe('jit report with rows past the limit', () => {
  const width: Report = {
    kind: 'width',
    from: '2026-11-01T00:00:00.000Z',
    to: '2026-12-01T00:00:00.000Z',
    columns: ['grantId', 'granted'],
    rows: [{ grantId: 'g-1', granted: 4 }],
    rowsOmitted: 8999,
    summary: { grants: 9000 },
    hints: [],
  };
  const run = async (argv: string[], report: Report = width) => {
    const network = fakeFetch(() => jsonResponse(200, report));
    const { context, stdout, stderr } = fakeContext({ fetch: network.fetch });
    const code = await runCli(argv, context);
    return { code, stdout: stdout(), stderr: stderr() };
  };

  it('keeps the CSV to rows and says on stderr how many are not listed', async () => {
    const { code, stdout, stderr } = await run(['report', 'width', '--format', 'csv']);
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toEqual(['report,grantId,granted', 'width,g-1,4']);
    expect(stderr).toContain('note: … 8999 more width rows not listed (the summary counts them)');
  });

  it('says it under the table', async () => {
    const { stdout } = await run(['report', 'width']);
    expect(stdout).toContain('… 8999 more width rows not listed');
  });

  it('says nothing when every row is listed', async () => {
    const { rowsOmitted: _, ...whole } = width;
    const { stderr } = await run(['report', 'width', '--format', 'csv'], whole);
    expect(stderr).not.toContain('not listed');
  });
});
