/**
 * Vend latency against its floor, measured in one run on the same emulators (DynamoDB Local and
 * moto_server): the floor is one AssumeRole and one DynamoDB transaction, and the broker's vend
 * (handler, validation, read, AssumeRole, transaction) is reported as a ratio of it. A first vend
 * must also read the grant (AssumeRole needs its role and session policy, so the read cannot
 * overlap it): the read floor adds one consistent GetItem, and both vends are reported against it
 * too. Rounds rotate the series so machine noise hits them alike.
 *
 *   npm run bench            (needs Java 17 and moto_server)
 */
import { randomUUID } from 'node:crypto';
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
import { grantPostEvent, ratioLine, startEmulators } from './benchKit.js';
import { timedInRotation } from './rotation.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const WARMUP = 30;
/** Issue 15's target for the first vend against the floor. */
const TARGET = 1.2;

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
    // What a first vend cannot avoid: the floor after a consistent read of the grant, as the broker's.
    const readFloor = async () => {
      await dynamo.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { PK: { S: `GRANT#${grant.id}` }, SK: { S: 'GRANT' } },
          ConsistentRead: true,
        })
      );
      await floor();
    };
    const vendOnce = async (grantId: string) => {
      const answer = await vend(grantPostEvent('credentials', grantId, 'alice'), {} as never);
      if (answer.statusCode !== 200) throw new Error(`vend failed: ${answer.body}`);
    };
    let next = 0;
    const firstVend = () => vendOnce(fresh[next++] as string);
    const reVend = () => vendOnce(grant.id);

    const timings = await timedInRotation({ floor, readFloor, first: firstVend, again: reVend }, ROUNDS, WARMUP);
    console.log(
      `vend path, ${ROUNDS} rounds after ${WARMUP} warm-up, DynamoDB Local + moto_server, one run (target ≤ ${TARGET}x):`
    );
    const againstFloor = ratioLine(timings.floor);
    console.log(againstFloor('floor: AssumeRole + one transaction', timings.floor));
    console.log(againstFloor('first vend of a grant (reads it)', timings.first, TARGET));
    console.log(againstFloor('re-vend (credential_process refresh)', timings.again));
    console.log('against the read floor (a first vend cannot start AssumeRole before its read):');
    const againstReadFloor = ratioLine(timings.readFloor);
    console.log(againstReadFloor('read floor: GetItem + AssumeRole + one transaction', timings.readFloor));
    console.log(againstReadFloor('first vend of a grant (reads it)', timings.first));
  } finally {
    sts.destroy();
    await stop();
  }
};

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
