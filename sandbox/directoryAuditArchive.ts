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
 */
const directoryAuditArchive = (root: string): AuditArchive & AuditArchiveReader => ({
  archive: async (events) => {
    for (const [index, event] of events.entries()) {
      const path = join(root, archiveKey(event));
      try {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, `${event.line}\n`, { flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        return Array.from({ length: events.length - index }, (_, i) => index + i);
      }
    }
    return [];
  },
  eventsOf: async (grantId) => {
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
});

export { directoryAuditArchive };
