/**
 * Request → credentials in the sandbox, as a user drives it: `npm start`'s broker in its own process,
 * over real HTTP with the per-start token, a request the policies approve at once and its
 * credentials — in one call (`POST /grants?credentials=true`, what `jit request --exec` uses; the
 * target applies to it) and, for comparison, in two (the request, then the vend route). The floor
 * is two DynamoDB transactions of the same items (the grant opened, the vend recorded) and one
 * AssumeRole, timed with raw clients on the same DynamoDB Local and moto_server in the same run.
 *
 * The broker counts the requester's recent grants (context.elevationsInWindow, one Query of their
 * newest grants) only when a policy that can decide on the role reads the count. The staging
 * request here has none; the prod-read one has (a benchmark policy reads it), and is measured
 * against the count floor: that Query in front of the floor. Rounds rotate the series so noise
 * hits them alike.
 *
 * The example policies auto-approve only in business hours (prod-read), so the sandbox runs on a copy
 * of config/ with two more policies that approve a one-action read at any hour.
 *
 *   npm run bench:request     (needs Java 17 and moto_server; BENCH_ROUNDS to change the size)
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { SANDBOX_TOKEN_HEADER } from '../cli/sandboxToken.js';
import { LOCAL_REGION } from '../sandbox/localAws.js';
import { localStsClient } from '../sandbox/localAwsClients.js';
import { interrupt, type Ready, startSandboxProcess } from '../test/helpers/sandboxProcess.js';
import { ratioLine } from './benchKit.js';
import { timedInRotation } from './rotation.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 200);
const WARMUP = 20;
const TARGET = 1.5;
/** Requesters take turns, so each has a short history (the policy facts count a requester's recent grants). */
const REQUESTERS = 10;

const AUTO_APPROVE_POLICIES = `// Benchmark only: a one-action staging read is approved at once, at any hour.
@id("bench-staging-read-auto-approve")
@description("bench/requestToCredentials.ts: s3:GetObject on staging-deploy needs no human")
permit (
  principal,
  action == Jit::Action::"autoApprove",
  resource == Jit::Role::"staging-deploy"
)
when { ["s3:GetObject"].containsAll(context.actions) };

// Benchmark only: the same on prod-read, for a policy that reads the requester's count.
@id("bench-prod-read-counted-auto-approve")
@description("bench/requestToCredentials.ts: s3:GetObject on prod-read, fewer than 1,000 recent grants")
permit (
  principal,
  action == Jit::Action::"autoApprove",
  resource == Jit::Role::"prod-read"
)
when { ["s3:GetObject"].containsAll(context.actions) && context.elevationsInWindow < 1000 };
`;

const REQUEST = {
  role: 'staging-deploy',
  scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] },
  durationSeconds: 3600,
  reason: 'benchmark request to credentials',
};
/** On a role whose policies read the requester's count: the broker reads it first. */
const COUNTED_REQUEST = { ...REQUEST, role: 'prod-read' };

/** One API call as the CLI makes it: the user's header, the start's token, a JSON body. */
const call = async (ready: Ready, user: string, path: string, body?: unknown) => {
  const response = await fetch(`${ready.api}${path}`, {
    method: 'POST',
    headers: { [SANDBOX_TOKEN_HEADER]: ready.token, 'x-jit-user': user, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200 && response.status !== 201) {
    throw new Error(`${path} answered ${response.status}: ${JSON.stringify(answer)}`);
  }
  return answer;
};

/** What a user waited for before: the request (approved at once), then its credentials, in two calls. */
const requestToCredentials = async (ready: Ready, user: string): Promise<string> => {
  const grant = (await call(ready, user, '/grants', REQUEST)) as { id: string; state: string };
  if (grant.state !== 'APPROVED') throw new Error(`the request was not approved at once (${grant.state})`);
  const credentials = await call(ready, user, `/grants/${grant.id}/credentials`);
  if (typeof credentials.AccessKeyId !== 'string') throw new Error('no credentials in the answer');
  return grant.id;
};

/** What `jit request --exec` waits for: one call, answered with the grant and its first credentials. */
const requestWithCredentials = async (ready: Ready, user: string, request = REQUEST): Promise<void> => {
  const answer = (await call(ready, user, '/grants?credentials=true', request)) as {
    state: string;
    credentials?: { AccessKeyId?: unknown };
    credentialsError?: unknown;
  };
  if (answer.state !== 'ACTIVE') throw new Error(`the request was not approved at once (${answer.state})`);
  if (typeof answer.credentials?.AccessKeyId !== 'string') {
    throw new Error(`no credentials in the answer: ${JSON.stringify(answer.credentialsError)}`);
  }
};

const main = async () => {
  const configDir = mkdtempSync(join(tmpdir(), 'jit-bench-config-'));
  cpSync('config', configDir, { recursive: true });
  writeFileSync(join(configDir, 'policies', 'zz-bench-auto-approve.cedar'), AUTO_APPROVE_POLICIES);
  const sandbox = await startSandboxProcess(['--in-memory', '--quiet', '--config-dir', configDir]);
  const { ready } = sandbox;
  const dynamo = new DynamoDBClient({
    endpoint: ready.dynamodb,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    if (ready.emulatorEndpoint === null)
      throw new Error('this benchmark needs moto_server: pip install "moto[server]"');
    const sts = localStsClient(ready.emulatorEndpoint);
    // The floor writes the items a request and its vend write: taken from one done before timing.
    const sampleId = await requestToCredentials(ready, 'alice');
    const key = { PK: { S: `GRANT#${sampleId}` }, SK: { S: 'GRANT' } };
    const { Item: grantItem } = await dynamo.send(new GetItemCommand({ TableName: ready.table, Key: key }));
    const { Items: events = [] } = await dynamo.send(
      new QueryCommand({
        TableName: ready.table,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :e)',
        ExpressionAttributeValues: { ':pk': key.PK, ':e': { S: 'EVENT#' } },
      })
    );
    const [requested, , activated] = events;
    if (grantItem === undefined || requested === undefined || activated === undefined) {
      throw new Error(`grant ${sampleId} is not stored as expected (${events.length} events)`);
    }
    const text = (item: Record<string, AttributeValue>, name: string) => item[name]?.S ?? '';
    let floors = 0;
    const floor = async () => {
      const pk = { S: `FLOOR#${floors++}` };
      const transaction = (event: Record<string, AttributeValue>, condition: string) =>
        dynamo.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: { TableName: ready.table, Item: { ...grantItem, PK: pk }, ConditionExpression: condition } },
              {
                Put: {
                  TableName: ready.table,
                  Item: { ...event, PK: pk },
                  ConditionExpression: 'attribute_not_exists(PK)',
                },
              },
            ],
          })
        );
      await transaction(requested, 'attribute_not_exists(PK)');
      await sts.send(
        new AssumeRoleCommand({
          RoleArn: text(grantItem, 'roleArn'),
          RoleSessionName: `alice.${sampleId}`,
          SourceIdentity: sampleId,
          Policy: text(grantItem, 'sessionPolicy'),
          DurationSeconds: 3600,
          Tags: [
            { Key: 'jit-grant-id', Value: sampleId },
            { Key: 'jit-requester', Value: 'alice' },
            { Key: 'jit-role', Value: text(grantItem, 'roleId') },
          ],
        })
      );
      await transaction(activated, 'attribute_exists(PK)');
    };
    // The count the policies need before they decide: the requester's newest grants, one page.
    const countFloor = async () => {
      await dynamo.send(
        new QueryCommand({
          TableName: ready.table,
          IndexName: 'byRequester',
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'GSI1PK' },
          ExpressionAttributeValues: { ':pk': { S: `USER#bench-user-${floors % REQUESTERS}` } },
          ScanIndexForward: false,
          Limit: 100,
        })
      );
      await floor();
    };
    let requests = 0;
    const requester = () => `bench-user-${requests++ % REQUESTERS}`;
    const twoCalls = async () => {
      await requestToCredentials(ready, requester());
    };
    const oneCall = () => requestWithCredentials(ready, requester());
    const oneCallCounted = () => requestWithCredentials(ready, requester(), COUNTED_REQUEST);

    const timings = await timedInRotation({ floor, countFloor, twoCalls, oneCall, oneCallCounted }, ROUNDS, WARMUP);
    sts.destroy();
    console.log(
      `request → credentials, sandbox over HTTP, ${ROUNDS} rounds after ${WARMUP} warm-up, one run (target ≤ ${TARGET}x):`
    );
    // The target is the one-call path's (what `jit request --exec` uses); the two-call line is for comparison.
    const line = ratioLine(timings.floor);
    console.log(line('floor: two transactions + one AssumeRole', timings.floor));
    console.log(line('POST /grants?credentials=true (one call)', timings.oneCall, TARGET));
    console.log(line('POST /grants (auto-approved) → POST …/credentials', timings.twoCalls));
    console.log('a role whose policies read the requester’s count of recent grants, against the count floor:');
    const counted = ratioLine(timings.countFloor);
    console.log(counted('count floor: Query + the floor', timings.countFloor));
    console.log(counted('POST /grants?credentials=true (one call, counted)', timings.oneCallCounted, TARGET));
  } finally {
    dynamo.destroy();
    await interrupt(sandbox.child);
    rmSync(configDir, { recursive: true, force: true });
  }
};

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
