import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { archiveKey } from '../../functions/adapters/aws/s3AuditArchive.js';
import { directoryAuditArchive } from '../../sandbox/directoryAuditArchive.js';
import { tempDirs } from '../helpers/tempDirs.js';

const GRANT = 'g-01JDIRECTORYARCHIVE0000000';

/** An archived event as the broker hands it on: its position and its stored JSON line. */
const event = (seq: number, note = 'first') => ({
  grantId: GRANT,
  seq,
  at: '2026-12-02T04:00:00.000Z',
  line: JSON.stringify({ grantId: GRANT, seq, note }),
});

describe('the sandbox audit archive (a directory in the S3 layout)', () => {
  const freshRoot = tempDirs('jit-archive-test-');

  it('answers a read with the events whose writes are still in flight (nobody waits for the writer)', async () => {
    const archive = directoryAuditArchive(freshRoot());
    // Handed on and not awaited, as the broker does after each stored event.
    void archive.archive([event(1)]);
    void archive.archive([event(2)]);
    const { events, problems } = await archive.eventsOf(GRANT);
    expect(problems).toEqual([]);
    expect(events.map((e) => e.seq)).toEqual([1, 2]);
  });

  it('keeps the first copy of an event: a second write of it counts as archived and changes nothing', async () => {
    const root = freshRoot();
    const archive = directoryAuditArchive(root);
    expect(await archive.archive([event(1, 'first')])).toEqual([]);
    expect(await archive.archive([event(1, 'second')])).toEqual([]);
    expect(readFileSync(join(root, archiveKey(event(1))), 'utf8')).toContain('"first"');
  });

  it("makes a grant's directory again when it was removed behind its back", async () => {
    const root = freshRoot();
    const archive = directoryAuditArchive(root);
    await archive.archive([event(1)]);
    rmSync(join(root, 'audit'), { recursive: true });
    expect(await archive.archive([event(2)])).toEqual([]);
    const { events } = await archive.eventsOf(GRANT);
    expect(events.map((e) => e.seq)).toEqual([2]);
  });

  it('answers the positions it could not write: the first failure and all after it', async () => {
    const root = freshRoot();
    // A file where the archive's top directory should be: nothing under it can be made.
    const archive = directoryAuditArchive(join(root, 'not-a-directory'));
    await import('node:fs/promises').then((fs) => fs.writeFile(join(root, 'not-a-directory'), 'x'));
    expect(await archive.archive([event(1), event(2), event(3)])).toEqual([0, 1, 2]);
  });

  it('settles once every write in flight has landed', async () => {
    const root = freshRoot();
    const archive = directoryAuditArchive(root);
    void archive.archive([event(1), event(2)]);
    await archive.settled();
    expect(readFileSync(join(root, archiveKey(event(2))), 'utf8')).toContain('"seq":2');
  });
});
