import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** One audit event as archived: its chain position and the JSON line the archive keeps. */
interface ArchivedEvent {
  readonly grantId: string;
  readonly seq: number;
  readonly at: string;
  /** The event as stored (with its hash chain), one line of JSON. */
  readonly line: string;
}

/** Writes events in order; answers the positions that were not archived (the first failure and all after it). */
interface AuditArchive {
  archive(events: readonly ArchivedEvent[]): Promise<readonly number[]>;
}

/**
 * `audit/<yyyy>/<mm>/<dd>/<grant id>/<seq:8>.ndjson`: by the event's date, then its grant, one
 * object per event. The key is the event's identity (grant id + seq), so a stream batch delivered
 * twice writes nothing twice.
 */
const archiveKey = (event: Pick<ArchivedEvent, 'grantId' | 'seq' | 'at'>): string => {
  const day = /^\d{4}-\d{2}-\d{2}/.test(event.at) ? event.at.slice(0, 10).replaceAll('-', '/') : 'undated';
  return `audit/${day}/${event.grantId}/${String(event.seq).padStart(8, '0')}.ndjson`;
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

export type { ArchivedEvent, AuditArchive };
export { archiveKey, s3AuditArchive };
