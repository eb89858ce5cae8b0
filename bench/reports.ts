/**
 * The recorder and the reports against their floors, measured in one run on DynamoDB Local:
 *
 * - recording one CloudTrail call (read the grant, one transaction, two conditional updates)
 *   against one bare PutItem of the same marker item — the least a recorder must write;
 * - recording a refused call of a live grant, which the example's anomaly rule counts (one more
 *   item in the transaction and one Query of the window), against a call AWS let through;
 * - a summary report over GRANTS grants against the reads it cannot avoid: the byRole pages, and
 *   per grant its events (Query) and activity (GetItem + Query), issued one after another.
 *
 *   npx tsx bench/reports.ts          (needs Java 17; BENCH_GRANTS, BENCH_CALLS to change the sizes)
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { jsonLogger } from '../functions/adapters/jsonLogger.js';
import { recordActivity } from '../functions/app/recordActivity.js';
import { runReport } from '../functions/app/reports.js';
import { requestGrant } from '../functions/app/requestGrant.js';
import { approveGrant } from '../functions/app/reviewGrant.js';
import { loadConfig } from '../functions/config/loadConfig.js';
import { startDynamoLocal } from '../sandbox/dynamoLocal.js';
import { ensureTable } from '../sandbox/ensureTable.js';
import { localDynamo } from '../sandbox/localAws.js';
import { assumedRoleCall } from '../test/helpers/cloudTrailRecords.js';
import { offlineBroker } from './benchKit.js';

const GRANTS = Number(process.env.BENCH_GRANTS ?? 200);
const CALLS = Number(process.env.BENCH_CALLS ?? 300);

const median = (samples: number[]): number => [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] ?? 0;
const timed = async (fn: () => Promise<unknown>): Promise<number> => {
  const start = performance.now();
  await fn();
  return performance.now() - start;
};

const main = async () => {
  const config = await loadConfig('config');
  const logger = jsonLogger('silent');
  const dynamoLocal = await startDynamoLocal();
  const dynamo = localDynamo(dynamoLocal.endpoint);
  try {
    const tableName = `bench-${randomUUID()}`;
    await ensureTable(dynamo, tableName);
    const broker = offlineBroker({ config, dynamo, tableName, logger });
    const ids: string[] = [];
    for (let i = 0; i < GRANTS; i++) {
      const grant = await requestGrant(
        broker,
        { userId: i % 2 ? 'alice' : 'erin', groups: ['developers'] },
        {
          role: 'prod-read',
          scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] },
          durationSeconds: 3600,
          reason: 'benchmark the reports',
        }
      );
      await approveGrant(broker, { userId: 'bob', groups: ['sre'] }, grant.id);
      ids.push(grant.id);
    }

    // Recorder vs one PutItem, alternating so noise hits both alike.
    const recorder: number[] = [];
    const refusedRecorder: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const grantId = ids[i % ids.length] as string;
      const at = new Date(Date.now() - 60_000).toISOString();
      recorder.push(
        await timed(() =>
          recordActivity(broker, assumedRoleCall({ eventId: randomUUID(), at, sourceIdentity: grantId }))
        )
      );
      // Refused calls far enough apart that no grant reaches the rule's threshold: what is measured
      // is the counting, not a revocation.
      const refusedAt = new Date(Date.now() - 60_000 - i * 31_000).toISOString();
      const refused = assumedRoleCall({
        eventId: randomUUID(),
        at: refusedAt,
        sourceIdentity: grantId,
        eventSource: 'iam.amazonaws.com',
        eventName: 'ListRoles',
        errorCode: 'AccessDenied',
      });
      refusedRecorder.push(await timed(() => recordActivity(broker, refused)));
      floor.push(
        await timed(() =>
          dynamo.send(
            new PutItemCommand({
              TableName: tableName,
              Item: {
                PK: { S: `BENCH#${grantId}` },
                SK: { S: `USE#${randomUUID()}` },
                action: { S: 's3:GetObject' },
                at: { S: at },
              },
            })
          )
        )
      );
    }

    // Report vs the reads it needs, one after another (the report reads eight grants at a time).
    const reads = async () => {
      let cursor: Record<string, never> | undefined;
      do {
        const page = await dynamo.send(
          new QueryCommand({
            TableName: tableName,
            IndexName: 'byRole',
            KeyConditionExpression: 'GSI3PK = :pk',
            ExpressionAttributeValues: { ':pk': { S: 'ROLE#prod-read' } },
            Limit: 100,
            ExclusiveStartKey: cursor,
          })
        );
        cursor = page.LastEvaluatedKey as typeof cursor;
      } while (cursor !== undefined);
      for (const id of ids) {
        const pk = { S: `GRANT#${id}` };
        await dynamo.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'PK = :pk AND begins_with(SK, :e)',
            ExpressionAttributeValues: { ':pk': pk, ':e': { S: 'EVENT#' } },
          })
        );
        await dynamo.send(new GetItemCommand({ TableName: tableName, Key: { PK: pk, SK: { S: 'ACTIVITY' } } }));
        await dynamo.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'PK = :pk AND begins_with(SK, :e)',
            ExpressionAttributeValues: { ':pk': pk, ':e': { S: 'LATE#' } },
          })
        );
      }
    };
    const dave = { userId: 'dave', groups: ['security'] };
    const report: number[] = [];
    const readFloor: number[] = [];
    for (let round = 0; round < 5; round++) {
      report.push(await timed(() => runReport(broker, dave, 'summary', {})));
      readFloor.push(await timed(reads));
    }

    const r = median(recorder);
    const rr = median(refusedRecorder);
    const f = median(floor);
    const rep = median(report);
    const rf = median(readFloor);
    process.stdout.write(
      [
        `recorder: median ${r.toFixed(2)} ms per CloudTrail call, one PutItem ${f.toFixed(2)} ms → ${(r / f).toFixed(2)}× (${CALLS} calls)`,
        `refused call, counted by the anomaly rule: median ${rr.toFixed(2)} ms → ${(rr / r).toFixed(2)}× a call AWS let through`,
        `summary report over ${GRANTS} grants: median ${rep.toFixed(0)} ms, its reads one by one ${rf.toFixed(0)} ms → ${(rep / rf).toFixed(2)}× (${(rep / GRANTS).toFixed(2)} ms per grant)`,
        '',
      ].join('\n')
    );
  } finally {
    dynamo.destroy();
    await dynamoLocal.stop();
  }
};

await main();
