/**
 * The activity recorder against its floor, measured in one run on DynamoDB Local (docs/audit.md,
 * "Recording cost"):
 *
 * - a call of a grant the warm recorder has read (the common case): one conditional UpdateItem of
 *   the tally of its hour, no read — against one bare PutItem of a marker item, the least a
 *   recorder must write; target ≤ 2×;
 * - against a bare UpdateItem of the same shape (an idempotent tally: the event id added to a set
 *   unless there), the recorder's own overhead over it; and against a bare TransactWriteItems of a
 *   marker and a counter (the write shape the recorder had before tallies), for the record;
 * - the DynamoDB requests per event, counted with a middleware on the client: the figure that
 *   carries over to AWS, where each request is a network round trip;
 * - the first call of a grant (one read, then the tally), a call delivered after a later one and a
 *   call past its tally's capacity (both counted by the transaction), and a refused call of a live
 *   grant, which the example's anomaly rule counts (a read of the grant as it is now, the
 *   transaction with a refusal item, one Query of the window).
 *
 *   npm run bench:recorder          (needs Java 17; BENCH_GRANTS, BENCH_CALLS to change the sizes)
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { PutItemCommand, TransactWriteItemsCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { TALLY_CAPACITY } from '../functions/adapters/aws/dynamoActivityStore.js';
import { jsonLogger } from '../functions/adapters/jsonLogger.js';
import { recordActivity } from '../functions/app/recordActivity.js';
import { loadConfig } from '../functions/config/loadConfig.js';
import { startDynamoLocal } from '../sandbox/dynamoLocal.js';
import { ensureTable } from '../sandbox/ensureTable.js';
import { localDynamo } from '../sandbox/localAws.js';
import { assumedRoleCall } from '../test/helpers/cloudTrailRecords.js';
import { approvedGrants } from './approvedGrants.js';
import { offlineBroker } from './benchKit.js';
import { summary } from './stats.js';

const GRANTS = Number(process.env.BENCH_GRANTS ?? 50);
const CALLS = Number(process.env.BENCH_CALLS ?? 600);
const TARGET = 2;
/** How long after a call CloudTrail delivers it, for the benchmark: AWS takes longer, not shorter. */
const DELIVERY_LAG_MS = 60_000;

const main = async () => {
  const config = await loadConfig('config');
  const logger = jsonLogger('silent');
  const dynamoLocal = await startDynamoLocal();
  const dynamo = localDynamo(dynamoLocal.endpoint);
  let requests = 0;
  dynamo.middlewareStack.add(
    (next) => async (args) => {
      requests += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countRequests' }
  );
  try {
    const tableName = `bench-${randomUUID()}`;
    await ensureTable(dynamo, tableName);
    const broker = offlineBroker({ config, dynamo, tableName, logger });
    const REFUSING = 10;
    const ids = await approvedGrants(broker, GRANTS + REFUSING + 1, 'benchmark the recorder');
    const lastCallAt = new Map<string, string>();
    /** The start of the hour of `at`: the first moment its tally covers. */
    const hourOf = (at: string) => `${at.slice(0, 'yyyy-mm-ddThh'.length)}:00:00.000Z`;
    /** One CloudTrail event through the recorder: its time and the DynamoDB requests it made. */
    const record = async (grantId: string, extra: { errorCode?: string; eventName?: string; at?: string } = {}) => {
      const at = extra.at ?? new Date(Date.now() - DELIVERY_LAG_MS).toISOString();
      if (at > (lastCallAt.get(grantId) ?? '')) lastCallAt.set(grantId, at);
      const event = assumedRoleCall({
        eventId: randomUUID(),
        at,
        sourceIdentity: grantId,
        ...(extra.errorCode ? { errorCode: extra.errorCode, eventSource: 'iam.amazonaws.com' } : {}),
        ...(extra.eventName ? { eventName: extra.eventName } : {}),
      });
      const before = requests;
      const start = performance.now();
      const outcome = await recordActivity(broker, event);
      const ms = performance.now() - start;
      if (outcome !== 'recorded') throw new Error(`the recorder answered ${outcome}`);
      return { ms, requests: requests - before };
    };
    const timed = async (send: () => Promise<unknown>) => {
      const start = performance.now();
      await send();
      return performance.now() - start;
    };
    const marker = (grantId: string) => ({
      PK: { S: `BENCH#${grantId}` },
      SK: { S: `USE#${randomUUID()}` },
      action: { S: 's3:GetObject' },
      at: { S: new Date().toISOString() },
    });
    const putItem = (grantId: string) =>
      timed(() => dynamo.send(new PutItemCommand({ TableName: tableName, Item: marker(grantId) })));
    const bareTally = (grantId: string) => {
      const eventId = randomUUID();
      return timed(() =>
        dynamo.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { PK: { S: `BENCH#${grantId}` }, SK: { S: 'TALLY' } },
            UpdateExpression: 'ADD eventIds :ids, calls :one',
            ConditionExpression: 'NOT contains(eventIds, :id)',
            ExpressionAttributeValues: { ':ids': { SS: [eventId] }, ':id': { S: eventId }, ':one': { N: '1' } },
          })
        )
      );
    };
    const bareTransaction = (grantId: string) =>
      timed(() =>
        dynamo.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              {
                Put: { TableName: tableName, Item: marker(grantId), ConditionExpression: 'attribute_not_exists(PK)' },
              },
              {
                Update: {
                  TableName: tableName,
                  Key: { PK: { S: `BENCH#${grantId}` }, SK: { S: 'ACTIVITY' } },
                  UpdateExpression: 'ADD calls :one',
                  ExpressionAttributeValues: { ':one': { N: '1' } },
                },
              },
            ],
          })
        )
      );

    const busy = ids.pop() as string;
    const refusing = ids.splice(GRANTS);

    // The first call of each grant: the recorder reads it.
    const first = [];
    for (const id of ids) first.push(await record(id));

    // The common case vs one PutItem, alternating so noise hits both alike.
    const known: number[] = [];
    const floor: number[] = [];
    const tallyFloor: number[] = [];
    const transactionFloor: number[] = [];
    let knownRequests = 0;
    for (let i = 0; i < CALLS; i++) {
      const grantId = ids[i % ids.length] as string;
      const call = await record(grantId, { eventName: i % 3 ? 'GetObject' : 'HeadObject' });
      known.push(call.ms);
      knownRequests += call.requests;
      floor.push(await putItem(grantId));
      tallyFloor.push(await bareTally(grantId));
      transactionFloor.push(await bareTransaction(grantId));
    }

    // A call delivered after a later one of its grant's hour (made when that hour began): the tally
    // turns it away, the transaction counts it and moves the first use.
    const outOfOrder = [];
    for (let i = 0; i < Math.min(CALLS, 200); i++) {
      const grantId = ids[i % ids.length] as string;
      outOfOrder.push(await record(grantId, { at: hourOf(lastCallAt.get(grantId) as string) }));
    }

    // A busy grant: its hour's tally fills up, the calls past it go through the transaction.
    const pastCapacity = [];
    const busyFrom = Date.parse(hourOf(new Date(Date.now() - DELIVERY_LAG_MS).toISOString()));
    for (let i = 0; i < 2 * TALLY_CAPACITY; i++) {
      const call = await record(busy, { at: new Date(busyFrom + i * 10).toISOString() });
      if (i >= TALLY_CAPACITY) pastCapacity.push(call);
    }

    // Refused calls of live grants (grants of their own, in order), far enough apart that none
    // reaches the rule's threshold: what is measured is the counting, not a revocation.
    const refused = [];
    const refusedCalls = Math.min(CALLS, 200);
    const since = Date.now() - DELIVERY_LAG_MS - (refusedCalls / refusing.length + 1) * 31_000 - 3_600_000;
    for (let i = 0; i < refusedCalls; i++) {
      const at = new Date(since + Math.floor(i / refusing.length) * 31_000).toISOString();
      const grantId = refusing[i % refusing.length] as string;
      refused.push(await record(grantId, { errorCode: 'AccessDenied', eventName: 'ListRoles', at }));
    }

    const r = summary(known).median;
    const f = summary(floor).median;
    const u = summary(tallyFloor).median;
    const t = summary(transactionFloor).median;
    const perEvent = (calls: readonly { requests: number }[]) =>
      (calls.reduce((sum, c) => sum + c.requests, 0) / calls.length).toFixed(2);
    process.stdout.write(
      [
        `recorder, a grant it knows: median ${r.toFixed(2)} ms per CloudTrail call (p95 ${summary(known).p95.toFixed(2)}), ` +
          `one PutItem ${f.toFixed(2)} ms → ${(r / f).toFixed(2)}× (target ≤ ${TARGET}×: ${r / f <= TARGET ? 'met' : 'NOT met'}; ${CALLS} calls)`,
        `  a bare UpdateItem of the same shape ${u.toFixed(2)} ms → ${(u / f).toFixed(2)}× one PutItem; the recorder ${(r / u).toFixed(2)}× it`,
        `  a bare transaction of two items (a marker and a counter: the shape before tallies) ${t.toFixed(2)} ms → ${(t / f).toFixed(2)}× one PutItem`,
        `DynamoDB requests per event, a grant it knows: ${(knownRequests / CALLS).toFixed(2)} (target 1)`,
        `first call of a grant: median ${summary(first.map((c) => c.ms)).median.toFixed(2)} ms, ${perEvent(first)} requests per event`,
        `a call delivered after a later one: median ${summary(outOfOrder.map((c) => c.ms)).median.toFixed(2)} ms, ${perEvent(outOfOrder)} requests per event`,
        `a call past its tally's ${TALLY_CAPACITY} in the hour: median ${summary(pastCapacity.map((c) => c.ms)).median.toFixed(2)} ms, ${perEvent(pastCapacity)} requests per event`,
        `refused call of a live grant, counted by the anomaly rule: median ${summary(refused.map((c) => c.ms)).median.toFixed(2)} ms, ` +
          `${perEvent(refused)} requests per event`,
        '',
      ].join('\n')
    );
    if (r / f > TARGET || knownRequests !== CALLS) process.exitCode = 1;
  } finally {
    dynamo.destroy();
    await dynamoLocal.stop();
  }
};

await main();
