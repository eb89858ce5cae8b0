import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type AuditArchive,
  archiveKey,
  grantPrefixOf,
  parseArchivedEvent,
} from '../functions/adapters/aws/s3AuditArchive.js';
import type { AuditEvent } from '../functions/domain/auditChain.js';
import type { AuditArchiveReader } from '../functions/ports.js';

/**
 * The sandbox's audit archive: the S3 archive's layout (`audit/<grant id>/<seq:8>.ndjson`) in a
 * directory beside the sandbox's data. Each file is created once (`wx`, like S3's `If-None-Match: *`):
 * a second write of the same event finds it there and counts as archived, so the first copy stays
 * what the comparison reads. There is no Object Lock on a laptop: it keeps history for the
 * comparison to be tried end to end, not against someone who can write this directory.
 *
 * Its writer is not waited for (the broker archives off the request's path, as the table stream
 * does in AWS), so its reader first waits for the writes in flight: an audit right after a call
 * finds that call's events archived. `settled` is for shutting down.
 */
const directoryAuditArchive = (root: string): AuditArchive & AuditArchiveReader & { settled(): Promise<void> } => {
  const inFlight = new Set<Promise<unknown>>();
  const settled = async () => {
    await Promise.allSettled([...inFlight]);
  };
  /** Grant directories this process made: one mkdir per grant rather than one per event. */
  const made = new Set<string>();
  const writeOnce = async (path: string, line: string) => {
    const dir = dirname(path);
    const write = () => writeFile(path, `${line}\n`, { flag: 'wx' });
    if (!made.has(dir)) {
      await mkdir(dir, { recursive: true });
      made.add(dir);
    }
    await write().catch(async (error: NodeJS.ErrnoException) => {
      // Removed behind this process's back: make it again, once.
      if (error.code !== 'ENOENT') throw error;
      await mkdir(dir, { recursive: true });
      await write();
    });
  };
  const archiveAll: AuditArchive['archive'] = async (events) => {
    for (const [index, event] of events.entries()) {
      try {
        await writeOnce(join(root, archiveKey(event)), event.line);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        return Array.from({ length: events.length - index }, (_, i) => index + i);
      }
    }
    return [];
  };
  return {
    settled,
    archive: (events) => {
      const writing = archiveAll(events);
      inFlight.add(writing);
      const landed = () => inFlight.delete(writing);
      writing.then(landed, landed);
      return writing;
    },
    eventsOf: async (grantId) => {
      await settled();
      const prefix = grantPrefixOf(grantId);
      let names: string[];
      try {
        names = (await readdir(join(root, prefix))).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { events: [], problems: [] };
        throw error;
      }
      const events: AuditEvent[] = [];
      const problems: string[] = [];
      for (const name of names) {
        const key = `${prefix}${name}`;
        const parsed = parseArchivedEvent((await readFile(join(root, key), 'utf8')).trim(), grantId, key);
        if (typeof parsed === 'string') problems.push(parsed);
        else events.push(parsed);
      }
      return { events: events.sort((a, b) => a.seq - b.seq), problems };
    },
  };
};

export { directoryAuditArchive };
