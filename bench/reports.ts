/**
 * The reports against their floors, measured in one run on DynamoDB Local (the recorder has its
 * own: bench/recorder.ts):
 *
 * - a summary report over GRANTS grants against the reads it cannot avoid: the byRole pages, and
 *   per grant its events (Query) and activity (two Queries: its summary and tallies, its late
 *   calls), issued one after another.
 *
 *   npx tsx bench/reports.ts          (needs Java 17; BENCH_GRANTS to change the size)
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { jsonLogger } from '../functions/adapters/jsonLogger.js';
import { runReport } from '../functions/app/reports.js';
import { loadConfig } from '../functions/config/loadConfig.js';
import { startDynamoLocal } from '../sandbox/dynamoLocal.js';
import { ensureTable } from '../sandbox/ensureTable.js';
import { localDynamo } from '../sandbox/localAws.js';
import { approvedGrants } from './approvedGrants.js';
import { offlineBroker } from './benchKit.js';

const GRANTS = Number(process.env.BENCH_GRANTS ?? 200);

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
    const ids = await approvedGrants(broker, GRANTS, 'benchmark the reports');

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
        // Its events, its activity (the summary and its hourly tallies), its late calls.
        for (const prefix of ['EVENT#', 'ACTIVITY', 'LATE#']) {
          await dynamo.send(
            new QueryCommand({
              TableName: tableName,
              KeyConditionExpression: 'PK = :pk AND begins_with(SK, :e)',
              ExpressionAttributeValues: { ':pk': pk, ':e': { S: prefix } },
            })
          );
        }
      }
    };
    const dave = { userId: 'dave', groups: ['security'] };
    const report: number[] = [];
    const readFloor: number[] = [];
    for (let round = 0; round < 5; round++) {
      report.push(await timed(() => runReport(broker, dave, 'summary', {})));
      readFloor.push(await timed(reads));
    }

    const rep = median(report);
    const rf = median(readFloor);
    process.stdout.write(
      [
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
