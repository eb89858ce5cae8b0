/**
 * Ending many grants on one role at once, against the sandbox stack (DynamoDB Local and
 * moto_server): N grants on prod-read, each with a live session, all ended by `done` at the same
 * moment, while a few other grants on the same role stay live. For each N it prints every answer's
 * time (median, p95, max), the writes the ends made (IAM policy writes, DynamoDB write requests and
 * items), and then judges the kill policy IAM keeps at the end with the independent evaluator
 * (@cloud-copilot/iam-simulate, dev-only): every ended grant's session must be denied and no live
 * grant's session may be.
 *
 * The floor is what ending N grants at once costs without any kill: each end's read, its one
 * transaction and its schedule's deletion, N at once on the same emulators, in the same run.
 * A warm-up round (N=1, not printed) runs first: DynamoDB Local's first calls of a kind are slow.
 *
 *   npm run bench:kill      (needs Java 17 and moto_server; BENCH_KILL_SIZES=1,10,30,100 by default)
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { localChainSigner } from '../functions/adapters/localChainSigner.js';
import type { BrokerDeps } from '../functions/app/deps.js';
import { requestGrant } from '../functions/app/requestGrant.js';
import { approveGrant } from '../functions/app/reviewGrant.js';
import { vendCredentials } from '../functions/app/vendCredentials.js';
import { finish } from '../functions/domain/ending.js';
import type { Grant } from '../functions/domain/grant.js';
import { KILL_POLICY_NAME } from '../functions/domain/sessionKill.js';
import { composeBroker } from '../functions/handlers/composeBroker.js';
import { sandboxAuthenticator } from '../functions/handlers/http/authenticators.js';
import { ROUTES } from '../functions/handlers/routes.js';
import type { RolePolicies } from '../functions/ports.js';
import { ensureTable } from '../sandbox/ensureTable.js';
import { localIamClient } from '../sandbox/localAwsClients.js';
import { decide } from '../test/helpers/iamDecision.js';
import { grantPostEvent, startEmulators, summary } from './benchKit.js';

const SIZES = (process.env.BENCH_KILL_SIZES ?? '1,10,30,100').split(',').map(Number);
const LIVE = 3;
const ROLE = 'prod-read';
const alice = { userId: 'alice', groups: ['developers'] };

/** DynamoDB writes as the service counts them: requests, and the items they write. */
const WRITES: Record<string, (input: Record<string, unknown>) => number> = {
  PutItemCommand: () => 1,
  UpdateItemCommand: () => 1,
  DeleteItemCommand: () => 1,
  TransactWriteItemsCommand: (input) => (input.TransactItems as unknown[]).length,
  BatchWriteItemCommand: (input) =>
    Object.values(input.RequestItems as Record<string, unknown[]>).reduce((n, items) => n + items.length, 0),
};

interface Row {
  readonly n: number;
  readonly answers: ReturnType<typeof summary>;
  readonly floor: ReturnType<typeof summary>;
  readonly iamPuts: number;
  readonly dynamoRequests: number;
  readonly dynamoItems: number;
  readonly denied: number;
  readonly liveDenied: number;
  readonly statuses: Readonly<Record<string, number>>;
}

const openLiveGrant = async (broker: BrokerDeps): Promise<string> => {
  const grant = await requestGrant(broker, alice, {
    role: ROLE,
    scope: { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] },
    durationSeconds: 3600,
    reason: 'benchmark ending many grants at once',
  });
  await approveGrant(broker, { userId: 'bob', groups: ['sre'] }, grant.id);
  await vendCredentials(broker, alice, grant.id);
  return grant.id;
};

const main = async () => {
  const doneRoute = ROUTES.find((r) => r.name === 'finishGrant');
  if (doneRoute === undefined) throw new Error('no done route');
  const { config, logger, dynamo, access, awsEndpoint, stop } = await startEmulators();
  const iam = localIamClient(awsEndpoint);
  const counts = { iamPuts: 0, dynamoRequests: 0, dynamoItems: 0 };
  dynamo.middlewareStack.add(
    (next, context) => async (args) => {
      const items = WRITES[context.commandName ?? '']?.(args.input as Record<string, unknown>);
      if (items !== undefined) {
        counts.dynamoRequests += 1;
        counts.dynamoItems += items;
      }
      return next(args);
    },
    { step: 'initialize', name: 'countWrites' }
  );
  const real = access.adapters.rolePolicies;
  const rolePolicies: RolePolicies = {
    list: (arn) => real.list(arn),
    delete: (arn, name) => real.delete(arn, name),
    put: (arn, policy) => {
      counts.iamPuts += 1;
      return real.put(arn, policy);
    },
  };
  const roleArn = config.catalog.roles.get(ROLE)?.roleArn as string;
  const killPolicy = async (): Promise<string | undefined> => {
    try {
      const out = await iam.send(new GetRolePolicyCommand({ RoleName: ROLE, PolicyName: KILL_POLICY_NAME }));
      return decodeURIComponent(out.PolicyDocument ?? '');
    } catch (error) {
      if ((error as Error).name === 'NoSuchEntityException') return undefined;
      throw error;
    }
  };
  // One signing key for the run, as a deployed broker has one KMS key.
  const signer = localChainSigner();
  /** A fresh table and kill policy, and `n` grants with a live session each (plus the live ones). */
  const grantsOnFreshTable = async (n: number, live: number) => {
    const tableName = `bench-kill-${randomUUID()}`;
    await ensureTable(dynamo, tableName);
    const broker = composeBroker({
      config,
      dynamo,
      tableName,
      logger,
      access: { ...access.adapters, rolePolicies },
      audit: { signer },
    });
    await real.delete(roleArn, KILL_POLICY_NAME);
    const open = async (count: number) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push(await openLiveGrant(broker));
      return ids;
    };
    return { broker, ended: await open(n), live: await open(live) };
  };
  /** Every answer's time, all started at once. */
  const atOnce = (ids: readonly string[], end: (id: string) => Promise<void>) =>
    Promise.all(
      ids.map(async (id) => {
        const started = performance.now();
        await end(id);
        return performance.now() - started;
      })
    );

  const rows: Row[] = [];
  try {
    for (const [index, n] of [1, ...SIZES].entries()) {
      const { broker, ended, live } = await grantsOnFreshTable(n, LIVE);
      const done = doneRoute.build({ ...broker, authenticate: sandboxAuthenticator() });
      Object.assign(counts, { iamPuts: 0, dynamoRequests: 0, dynamoItems: 0 });
      const statuses: Record<string, number> = {};
      const times = await atOnce(ended, async (id) => {
        const answer = await done(grantPostEvent('done', id, 'alice'), {} as never);
        if (answer.statusCode !== 200) throw new Error(`done ${id} answered ${answer.statusCode}: ${answer.body}`);
        const kill = (JSON.parse(answer.body) as { sessionKill?: { status?: string } }).sessionKill?.status;
        statuses[kill ?? 'not reported'] = (statuses[kill ?? 'not reported'] ?? 0) + 1;
      });
      const written = { ...counts };
      const document = await killPolicy();
      const deniedOf = async (ids: string[]) =>
        (
          await Promise.all(
            ids.map((id) => decide({ sourceIdentity: id, ...(document === undefined ? {} : { killPolicy: document }) }))
          )
        ).filter((decision) => decision !== 'Allowed').length;

      // The floor: as many ends at once, each doing all an end does but the kill: read the grant,
      // record the end in one transaction, delete its expiry schedule.
      const bare = await grantsOnFreshTable(n, 0);
      const floor = await atOnce(bare.ended, async (id) => {
        const grant = (await bare.broker.store.get(id)) as Grant;
        await bare.broker.store.transition(grant, finish(grant, alice, bare.broker.clock.now()));
        await bare.broker.expiry.cancel(id);
      });
      if (index === 0) continue;
      rows.push({
        n,
        answers: summary(times),
        floor: summary(floor),
        ...written,
        denied: await deniedOf(ended),
        liveDenied: await deniedOf(live),
        statuses,
      });
    }
  } finally {
    iam.destroy();
    await stop();
  }

  const ms = (value: number) => value.toFixed(0).padStart(6);
  console.log(`ending N grants on one role at once (+${LIVE} live on it), DynamoDB Local + moto_server, one run:`);
  console.log(
    `  ${'N'.padStart(4)}  answers p50/p95/max ms   floor p50/p95/max ms   p95 ratio  IAM puts  DDB writes  DDB items  items/N  denied  live denied  kill in answers`
  );
  for (const r of rows) {
    console.log(
      `  ${String(r.n).padStart(4)}  ${ms(r.answers.median)} ${ms(r.answers.p95)} ${ms(r.answers.max)}   ` +
        `${ms(r.floor.median)} ${ms(r.floor.p95)} ${ms(r.floor.max)}   ${`${(r.answers.p95 / r.floor.p95).toFixed(2)}x`.padStart(9)}  ` +
        `${String(r.iamPuts).padStart(8)}  ${String(r.dynamoRequests).padStart(10)}  ${String(r.dynamoItems).padStart(9)}  ` +
        `${(r.dynamoItems / r.n).toFixed(1).padStart(7)}  ${`${r.denied}/${r.n}`.padStart(6)}  ${`${r.liveDenied}/${LIVE}`.padStart(11)}  ` +
        Object.entries(r.statuses)
          .map(([status, count]) => `${status} ${count}`)
          .join(', ')
    );
  }
  const largest = rows.at(-1);
  if (largest !== undefined) {
    const verdict = [
      `answers p95 ${largest.answers.p95.toFixed(0)} ms (target ≤ 1000 ms; the ends alone: ${largest.floor.p95.toFixed(0)} ms)`,
      `${largest.denied}/${largest.n} ended grants denied by the final kill policy`,
      `${largest.liveDenied}/${LIVE} live grants denied`,
    ];
    console.log(`  N=${largest.n}: ${verdict.join('; ')}`);
    if (largest.denied !== largest.n || largest.liveDenied !== 0) process.exitCode = 1;
  }
};

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
