/**
 * Vend latency against its floor, measured in one run on the same emulators (DynamoDB Local and
 * moto_server): the floor is what vending cannot avoid — one AssumeRole and one DynamoDB
 * transaction — and the broker's vend (handler, validation, read, AssumeRole, transaction) is
 * reported as a ratio of it. Rounds alternate floor and vend so machine noise hits both alike.
 *
 *   npm run bench            (needs Java 17 and moto_server)
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { GetItemCommand, QueryCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { localChainSigner } from '../functions/adapters/localChainSigner.js';
import { requestGrant } from '../functions/app/requestGrant.js';
import { approveGrant } from '../functions/app/reviewGrant.js';
import { composeBroker } from '../functions/handlers/composeBroker.js';
import { sandboxAuthenticator } from '../functions/handlers/http/authenticators.js';
import { ROUTES } from '../functions/handlers/routes.js';
import { ensureTable } from '../sandbox/ensureTable.js';
import { localStsClient } from '../sandbox/localAwsClients.js';
import { grantPostEvent, startEmulators, summary } from './benchKit.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const WARMUP = 30;

const main = async () => {
  const { config, logger, dynamo, access, awsEndpoint, stop } = await startEmulators();
  const sts = localStsClient(awsEndpoint);
  try {
    const tableName = `bench-${randomUUID()}`;
    await ensureTable(dynamo, tableName);
    const broker = composeBroker({
      config,
      dynamo,
      tableName,
      logger,
      access: access.adapters,
      audit: { signer: localChainSigner() },
    });
    const alice = { userId: 'alice', groups: ['developers'] };
    const grant = await requestGrant(broker, alice, {
      role: 'prod-read',
      scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] },
      durationSeconds: 4 * 3600,
      reason: 'benchmark the vend path',
    });
    await approveGrant(broker, { userId: 'bob', groups: ['sre'] }, grant.id);
    // Fresh approved grants for first vends (the grant is read), made before anything is timed.
    const fresh: string[] = [];
    for (let i = 0; i < WARMUP + ROUNDS; i++) {
      const other = await requestGrant(broker, alice, {
        role: 'prod-read',
        scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] },
        durationSeconds: 3600,
        reason: 'benchmark the first vend',
      });
      await approveGrant(broker, { userId: 'bob', groups: ['sre'] }, other.id);
      fresh.push(other.id);
    }
    const vendRoute = ROUTES.find((r) => r.name === 'vendCredentials');
    if (vendRoute === undefined) throw new Error('no vend route');
    const vend = vendRoute.build({ ...broker, authenticate: sandboxAuthenticator() });

    // The floor writes what a vend writes: the grant item and an audit event of the same size.
    const { Item: grantItem } = await dynamo.send(
      new GetItemCommand({ TableName: tableName, Key: { PK: { S: `GRANT#${grant.id}` }, SK: { S: 'GRANT' } } })
    );
    const { Items: events } = await dynamo.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :e)',
        ExpressionAttributeValues: { ':pk': { S: `GRANT#${grant.id}` }, ':e': { S: 'EVENT#' } },
      })
    );
    const eventItem = events?.at(-1);
    if (grantItem === undefined || eventItem === undefined) throw new Error('grant not stored');
    const floor = async () => {
      await sts.send(
        new AssumeRoleCommand({
          RoleArn: grant.roleArn,
          RoleSessionName: `alice.${grant.id}`,
          SourceIdentity: grant.id,
          Policy: grant.sessionPolicy,
          DurationSeconds: 3600,
          Tags: [{ Key: 'jit-grant-id', Value: grant.id }],
        })
      );
      const id = randomUUID();
      await dynamo.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: tableName, Item: { ...grantItem, PK: { S: `FLOOR#${id}` } } } },
            {
              Put: {
                TableName: tableName,
                Item: { ...eventItem, PK: { S: `FLOOR#${id}` } },
                ConditionExpression: 'attribute_not_exists(PK)',
              },
            },
          ],
        })
      );
    };
    const vendOnce = async (grantId: string) => {
      const answer = await vend(grantPostEvent('credentials', grantId, 'alice'), {} as never);
      if (answer.statusCode !== 200) throw new Error(`vend failed: ${answer.body}`);
    };
    let next = 0;
    const firstVend = () => vendOnce(fresh[next++] as string);
    const reVend = () => vendOnce(grant.id);

    const timings = { floor: [] as number[], first: [] as number[], again: [] as number[] };
    const series: [keyof typeof timings, () => Promise<void>][] = [
      ['floor', floor],
      ['first', firstVend],
      ['again', reVend],
    ];
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      // Rotate the order each round so drift and noise hit every series alike.
      const order = [...series.slice(round % 3), ...series.slice(0, round % 3)];
      for (const [name, run] of order) {
        const started = performance.now();
        await run();
        if (round >= WARMUP) timings[name].push(performance.now() - started);
      }
    }
    const f = summary(timings.floor);
    const line = (label: string, t: { median: number; p95: number }) =>
      `  ${label.padEnd(44)} median ${t.median.toFixed(2).padStart(6)} ms  p95 ${t.p95.toFixed(2).padStart(6)} ms  ratio ${(t.median / f.median).toFixed(2)}x (p95 ${(t.p95 / f.p95).toFixed(2)}x)`;
    console.log(
      `vend path, ${ROUNDS} rounds after ${WARMUP} warm-up, DynamoDB Local + moto_server, one run (target ≤ 1.2x):`
    );
    console.log(line('floor: AssumeRole + one transaction', f));
    console.log(line('first vend of a grant (reads it)', summary(timings.first)));
    console.log(line('re-vend (credential_process refresh)', summary(timings.again)));
  } finally {
    sts.destroy();
    await stop();
  }
};

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
