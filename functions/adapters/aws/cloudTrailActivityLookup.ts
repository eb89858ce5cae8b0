import { type CloudTrailClient, LookupEventsCommand, type LookupEventsCommandOutput } from '@aws-sdk/client-cloudtrail';
import type { CloudTrailRecord } from '../../domain/activity.js';
import { ServiceUnavailableError } from '../../domain/errors.js';
import type { ActivityLookup } from '../../ports.js';
import { outageError, outageOf } from './awsErrors.js';
import { type PacerTime, realTime, type TokenBucket, tokenBucket } from './pacer.js';

/** CloudTrail answers LookupEvents at 2 requests per second per account and Region. */
const LOOKUP_RATE_PER_SECOND = 2;
/** Throttled calls are tried again this many times, waiting 1 s, 2 s, 4 s… between them. */
const THROTTLE_RETRIES = 4;
/** More pages than this for one key is not an audit view any more; the answer says it stopped. */
const MAX_PAGES_PER_KEY = 20;

const CODES = {
  service: 'CloudTrail',
  throttled: 'CLOUDTRAIL_THROTTLED',
  unreachable: 'CLOUDTRAIL_UNREACHABLE',
  failing: 'CLOUDTRAIL_FAILING',
};

/** One bucket per process: every lookup in this execution environment shares the account's rate. */
let processBucket: TokenBucket | undefined;

/**
 * CloudTrail Event history by access key id (one LookupAttribute per call is all the API allows).
 * Each page is paced by the token bucket; throttling is retried with exponential backoff and then
 * reported as CLOUDTRAIL_THROTTLED; AccessDenied names the permission to add. Management events
 * only: S3 object reads and other data events are not in Event history (the live recorder sees them).
 */
class CloudTrailActivityLookup implements ActivityLookup {
  readonly #client: CloudTrailClient;
  readonly #bucket: TokenBucket;
  readonly #time: PacerTime;

  constructor(client: CloudTrailClient, options: { time?: PacerTime; bucket?: TokenBucket } = {}) {
    this.#client = client;
    this.#time = options.time ?? realTime;
    // No burst: one call every 500 ms keeps every one-second window at 2 calls, however it is aligned.
    processBucket ??= tokenBucket(LOOKUP_RATE_PER_SECOND, 1);
    this.#bucket = options.bucket ?? processBucket;
  }

  async lookup(
    accessKeyIds: readonly string[],
    window: { from: Date; to: Date }
  ): Promise<readonly CloudTrailRecord[]> {
    const records: CloudTrailRecord[] = [];
    for (const accessKeyId of new Set(accessKeyIds)) {
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const out = await this.#page(accessKeyId, window, nextToken);
        for (const event of out.Events ?? []) {
          if (event.CloudTrailEvent === undefined) continue;
          try {
            records.push(JSON.parse(event.CloudTrailEvent) as CloudTrailRecord);
          } catch {
            // A record CloudTrail could not serialise is skipped, not fatal to the whole view.
          }
        }
        nextToken = out.NextToken;
        pages++;
      } while (nextToken !== undefined && pages < MAX_PAGES_PER_KEY);
    }
    return records;
  }

  async #page(
    accessKeyId: string,
    window: { from: Date; to: Date },
    nextToken?: string
  ): Promise<LookupEventsCommandOutput> {
    for (let attempt = 0; ; attempt++) {
      await this.#bucket.take();
      try {
        return await this.#client.send(
          new LookupEventsCommand({
            LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: accessKeyId }],
            StartTime: window.from,
            EndTime: window.to,
            MaxResults: 50,
            ...(nextToken === undefined ? {} : { NextToken: nextToken }),
          })
        );
      } catch (error) {
        if (outageOf(error) === 'throttled' && attempt < THROTTLE_RETRIES) {
          await this.#time.sleep(1000 * 2 ** attempt);
          continue;
        }
        if (error instanceof Error && (error.name === 'AccessDeniedException' || error.name === 'AccessDenied')) {
          throw new ServiceUnavailableError(
            'CLOUDTRAIL_ACCESS_DENIED',
            'the broker may not read CloudTrail Event history: grant its audit function cloudtrail:LookupEvents',
            { cause: error }
          );
        }
        throw outageError(error, CODES) ?? error;
      }
    }
  }
}

export { CloudTrailActivityLookup, LOOKUP_RATE_PER_SECOND, MAX_PAGES_PER_KEY, THROTTLE_RETRIES };
