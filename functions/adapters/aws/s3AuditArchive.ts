import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { AuditEvent } from '../../domain/auditChain.js';
import { ServiceUnavailableError } from '../../domain/errors.js';
import type { AuditArchiveReader } from '../../ports.js';
import { hasName, type OutageCodes, outageError } from './awsErrors.js';

/** One audit event as archived: its chain position and the JSON line the archive keeps. */
interface ArchivedEvent {
  readonly grantId: string;
  readonly seq: number;
  readonly at: string;
  /** The event as stored (with its hash chain and signature), one line of JSON. */
  readonly line: string;
}

/** Writes events in order; answers the positions that were not archived (the first failure and all after it). */
interface AuditArchive {
  archive(events: readonly ArchivedEvent[]): Promise<readonly number[]>;
}

const ARCHIVE_PREFIX = 'audit/';

/** Where one grant's events are: `audit/<grant id>/`. */
const grantPrefixOf = (grantId: string): string => `${ARCHIVE_PREFIX}${grantId}/`;

/**
 * `audit/<grant id>/<seq:8>.ndjson`: one object per event, its identity (grant id + seq) as the
 * key, so a stream batch delivered twice writes nothing twice, and one grant's whole archived
 * chain is one listing. Grant ids are ULIDs, so keys also sort by when the grant was opened.
 */
const archiveKey = (event: Pick<ArchivedEvent, 'grantId' | 'seq'>): string =>
  `${grantPrefixOf(event.grantId)}${String(event.seq).padStart(8, '0')}.ndjson`;

/** An event as the archive keeps it: the event as stored, one JSON line. */
const toArchivedEvent = (event: AuditEvent): ArchivedEvent => ({
  grantId: event.grantId,
  seq: event.seq,
  at: event.at,
  line: JSON.stringify(event),
});

/** An archived object's text as an event of `grantId` at `key`, or what is wrong with it. */
const parseArchivedEvent = (text: string, grantId: string, key: string): AuditEvent | string => {
  try {
    const event = JSON.parse(text) as Partial<AuditEvent> | null;
    if (event !== null && typeof event === 'object' && event.grantId === grantId && Number.isInteger(event.seq)) {
      if (archiveKey({ grantId, seq: event.seq as number }) === key) return event as AuditEvent;
      return `the archived object ${key} holds event ${event.seq}: it was written under another event's key`;
    }
  } catch {
    // not JSON: reported below
  }
  return `the archived object ${key} is not an audit event of ${grantId}`;
};

const S3_OUTAGES: OutageCodes = {
  service: 'S3',
  throttled: 'ARCHIVE_THROTTLED',
  unreachable: 'ARCHIVE_UNREACHABLE',
  failing: 'ARCHIVE_UNAVAILABLE',
};

/**
 * S3 with Object Lock (infra/auditArchiveBucket.ts). `If-None-Match: *` makes each write happen once:
 * an object that already exists answers 412, which counts as archived — the locked version stays
 * the only one (the bucket policy refuses writes without the header). An explicit SHA-256 checksum
 * meets Object Lock's requirement of an integrity header (Content-MD5 or x-amz-sdk-checksum-algorithm)
 * whatever the SDK's default; the publisher bundles its own SDK, so neither header depends on the
 * Lambda runtime's copy (docs/operations.md).
 */
const s3AuditArchive = (client: S3Client, bucket: string): AuditArchive => ({
  archive: async (events) => {
    for (const [index, event] of events.entries()) {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: archiveKey(event),
            Body: `${event.line}\n`,
            ContentType: 'application/x-ndjson',
            IfNoneMatch: '*',
            ChecksumAlgorithm: 'SHA256',
          })
        );
      } catch (error) {
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if (status === 412) continue;
        return Array.from({ length: events.length - index }, (_, i) => index + i);
      }
    }
    return [];
  },
});

/** More objects than this under one grant is not a grant's chain: the reader stops and says so. */
const MAX_ARCHIVED_OBJECTS = 5000;
const READ_CONCURRENCY = 8;

interface KeyVersions {
  versions: { versionId: string; lastModified: number }[];
  deleteMarkers: number;
}

const translate = (error: unknown, bucket: string): unknown => {
  if (hasName(error, ['AccessDenied', 'AccessDeniedException'])) {
    return new ServiceUnavailableError(
      'ARCHIVE_ACCESS_DENIED',
      `this function may not read the audit archive ${bucket} (s3:ListBucketVersions, s3:GetObjectVersion under audit/)`,
      { cause: error }
    );
  }
  if (hasName(error, ['NoSuchBucket'])) {
    return new ServiceUnavailableError('ARCHIVE_UNAVAILABLE', `the audit archive bucket ${bucket} does not exist`, {
      cause: error,
    });
  }
  return outageError(error, S3_OUTAGES) ?? error;
};

/**
 * Reads one grant's archived chain with ListObjectVersions, so that what S3 keeps beyond the
 * latest version is seen too: each event is read in its **first** version (what the stream wrote),
 * and a key written more than once or hidden by a delete marker — which the bucket policy refuses,
 * so only someone who changed that policy could do it — is reported.
 */
const s3AuditArchiveReader = (client: S3Client, bucket: string): AuditArchiveReader => ({
  eventsOf: async (grantId) => {
    const byKey = new Map<string, KeyVersions>();
    const problems: string[] = [];
    const entry = (key: string) => {
      let found = byKey.get(key);
      if (found === undefined) {
        found = { versions: [], deleteMarkers: 0 };
        byKey.set(key, found);
      }
      return found;
    };
    try {
      let keyMarker: string | undefined;
      let versionIdMarker: string | undefined;
      let listed = 0;
      do {
        const page = await client.send(
          new ListObjectVersionsCommand({
            Bucket: bucket,
            Prefix: grantPrefixOf(grantId),
            KeyMarker: keyMarker,
            VersionIdMarker: versionIdMarker,
          })
        );
        for (const v of page.Versions ?? []) {
          if (v.Key === undefined) continue;
          entry(v.Key).versions.push({
            versionId: v.VersionId ?? 'null',
            lastModified: v.LastModified?.getTime() ?? 0,
          });
        }
        for (const marker of page.DeleteMarkers ?? []) if (marker.Key !== undefined) entry(marker.Key).deleteMarkers++;
        listed += (page.Versions ?? []).length;
        keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
        versionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
        if (listed > MAX_ARCHIVED_OBJECTS) {
          problems.push(
            `more than ${MAX_ARCHIVED_OBJECTS} archived objects under ${grantPrefixOf(grantId)}: read the first ones only`
          );
          break;
        }
      } while (keyMarker !== undefined);
      const keys = [...byKey.keys()].sort();
      const events: AuditEvent[] = [];
      for (let i = 0; i < keys.length; i += READ_CONCURRENCY) {
        const read = await Promise.all(
          keys.slice(i, i + READ_CONCURRENCY).map(async (key) => {
            const { versions, deleteMarkers } = byKey.get(key) as KeyVersions;
            if (versions.length > 1) problems.push(`the archived object ${key} was written ${versions.length} times`);
            if (deleteMarkers > 0) problems.push(`the archived object ${key} is hidden behind a delete marker`);
            const first = versions.sort((a, b) => a.lastModified - b.lastModified)[0];
            if (first === undefined) return `the archived object ${key} has only delete markers: its content is gone`;
            const out = await client.send(
              new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: first.versionId })
            );
            return parseArchivedEvent(((await out.Body?.transformToString()) ?? '').trim(), grantId, key);
          })
        );
        for (const item of read) {
          if (typeof item === 'string') problems.push(item);
          else events.push(item);
        }
      }
      return { events: events.sort((a, b) => a.seq - b.seq), problems };
    } catch (error) {
      throw translate(error, bucket);
    }
  },
});

export type { ArchivedEvent, AuditArchive };
export {
  ARCHIVE_PREFIX,
  archiveKey,
  grantPrefixOf,
  parseArchivedEvent,
  s3AuditArchive,
  s3AuditArchiveReader,
  toArchivedEvent,
};
