/**
 * Does the broker stay fast as history piles up? With 1k, 10k and 100k grants stored (DynamoDB
 * Local), the p50 of what people and the sweeper wait for — the approver's inbox, a user's list,
 * a grant's audit, the sweeper's due read — and the ratio largest/smallest, which should be ~1:
 * every one of them reads a bounded page or one grant's partition, never the history. Beside each,
 * the read request units the call consumed (DynamoDB Local reports them as DynamoDB would bill).
 * Then the summary report over 1k and 10k grants: time, reads and CPU per grant, how many chains
 * verified, peak heap, and the time its Lambda would take, estimated from the CPU measured here.
 * Every grant is signed as the broker signs it (scaleData.ts), so the report checks real chains.
 *
 *   npm run bench:scale                      (sizes 1000,10000,100000; needs Java 17)
 *   npm run bench:scale -- --sizes 1000,10000
 *
 * Open grants stay the same few hundred at every size (pending, running, some overdue), as in a
 * real table where history grows and the open set does not. Loading 100k grants (~550k items)
 * takes minutes on a small machine; the time is printed. docs/scale.md explains the figures.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { jsonLogger } from '../functions/adapters/jsonLogger.js';
import { localChainSigner } from '../functions/adapters/localChainSigner.js';
import { ulidIds } from '../functions/adapters/ulidIds.js';
import { dueGrants } from '../functions/app/dueGrants.js';
import { auditGrant } from '../functions/app/grantAudit.js';
import { listInbox, listMyGrants } from '../functions/app/readGrants.js';
import {
  type CheckedReport,
  REPORT_ANSWER_MARGIN_MS,
  REPORT_READ_CONCURRENCY,
  REPORT_ROW_LIMIT,
  runReport,
} from '../functions/app/reports.js';
import { requestGrant } from '../functions/app/requestGrant.js';
import { loadConfig } from '../functions/config/loadConfig.js';
import type { Transition } from '../functions/domain/grant.js';
import { REPORT_FUNCTION } from '../infra/reportFunction.js';
import { startDynamoLocal } from '../sandbox/dynamoLocal.js';
import { ensureTable } from '../sandbox/ensureTable.js';
import { localDynamo } from '../sandbox/localAws.js';
import { offlineBroker } from './benchKit.js';
import { type GrantTemplate, grantItems, grantLife, type Item, type Lifecycle, templateOf } from './scaleData.js';

const { values: flags } = parseArgs({
  options: { sizes: { type: 'string', default: '1000,10000,100000' }, samples: { type: 'string', default: '30' } },
});
const SIZES = (flags.sizes ?? '').split(',').map(Number);
const SAMPLES = Number(flags.samples);
const REPORT_SIZES = new Set(process.env.BENCH_NO_REPORT ? [] : [1000, 10000]);
if (SIZES.some((n) => !Number.isInteger(n) || n < 100) || SIZES.join() !== [...SIZES].sort((a, b) => a - b).join()) {
  throw new Error('--sizes takes grant counts of at least 100, ascending, e.g. --sizes 1000,10000,100000');
}

const USERS = 200;
const DAY_MS = 24 * 3600 * 1000;
const MINUTE = 60_000;
const BATCH = 25;
const WRITERS = Number(process.env.BENCH_WRITERS ?? 8);
/** Flat: p50 at the largest size over p50 at the smallest, with room for a shared machine's noise. */
const FLAT_TARGET = 1.5;
/** Lambda gives a function one vCPU at 1,769 MB, less in proportion below (docs/scale.md cites AWS). */
const ONE_VCPU_MB = 1769;
/**
 * An in-region DynamoDB round trip as the slowest of a batch's 48 parallel reads sees it: an
 * assumption (single-digit milliseconds at the median, more at the tail), not a measurement.
 */
const ASSUMED_ROUND_TRIP_MS = 10;
/** What the report may spend reading in its Lambda: the timeout less the time kept to answer. */
const REPORT_TIME_BUDGET_SECONDS = REPORT_FUNCTION.timeoutSeconds - REPORT_ANSWER_MARGIN_MS / 1000;
/**
 * The report in its Lambda: this process's CPU time scaled to the function's share of a vCPU; the
 * waits for each batch's reads overlap the previous batch's verification (functions/app/reports.ts
 * reads one batch ahead), so the larger of the two counts, plus one wait per byRole page.
 */
const lambdaEstimate = (grants: number, run: { cpuMsPerGrant: number; batches: number; pages: number }) => {
  const cpuSeconds =
    (grants * run.cpuMsPerGrant * (ONE_VCPU_MB / Math.min(REPORT_FUNCTION.memoryMb, ONE_VCPU_MB))) / 1000;
  const waitSeconds = (run.batches * ASSUMED_ROUND_TRIP_MS) / 1000;
  return {
    cpuSeconds,
    waitSeconds,
    seconds: Math.max(cpuSeconds, waitSeconds) + (run.pages * ASSUMED_ROUND_TRIP_MS) / 1000,
  };
};

const quantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

/** Request units per call, as DynamoDB Local reports them (every request asks for them). */
const capacityMeter = (client: DynamoDBClient) => {
  let units = 0;
  let calls = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      // One object for a single-item call or a Query, one per table for batches and transactions.
      const consumed = (
        result.output as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] }
      ).ConsumedCapacity;
      for (const c of [consumed ?? []].flat()) units += c.CapacityUnits ?? 0;
      calls++;
      return result;
    },
    { step: 'initialize', name: 'benchCapacityMeter' }
  );
  return {
    /** Units and DynamoDB calls consumed by `run`. */
    async measure<T>(run: () => Promise<T>): Promise<{ value: T; units: number; calls: number }> {
      const [u, c] = [units, calls];
      const value = await run();
      return { value, units: units - u, calls: calls - c };
    },
  };
};

const writeItems = async (doc: DynamoDBDocumentClient, table: string, items: readonly Item[]): Promise<void> => {
  const batches: Item[][] = [];
  for (let i = 0; i < items.length; i += BATCH) batches.push(items.slice(i, i + BATCH));
  let next = 0;
  const writer = async () => {
    while (next < batches.length) {
      let pending = (batches[next++] as Item[]).map((Item) => ({ PutRequest: { Item } }));
      while (pending.length > 0) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
      }
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, writer));
};

const main = async () => {
  const config = await loadConfig('config');
  const logger = jsonLogger('silent');
  const dynamoLocal = await startDynamoLocal();
  const dynamo = localDynamo(dynamoLocal.endpoint);
  const meter = capacityMeter(dynamo);
  const doc = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  try {
    const tableName = `scale-${randomUUID()}`;
    await ensureTable(dynamo, tableName);
    // One key signs what the broker writes and what this benchmark seeds, so every chain verifies.
    const signer = localChainSigner();
    const broker = offlineBroker({ config, dynamo, tableName, logger, signer });
    const now = Date.now();

    // Templates: one real request per role, as requestGrant makes it (policy, narrowing, session policy).
    const alice = { userId: 'alice', groups: ['developers'] };
    const bob = { userId: 'bob', groups: ['sre'] };
    const dave = { userId: 'dave', groups: ['security'] };
    const templateFor = async (
      roleId: string,
      scope: { actions: string[]; resources: string[] },
      approvers: GrantTemplate['approvers'],
      ticket?: string
    ): Promise<GrantTemplate> => {
      const grant = await requestGrant(broker, alice, {
        role: roleId,
        scope,
        durationSeconds: 3600,
        reason: 'investigate the nightly export failure (INC-4711)',
        ...(ticket ? { ticket } : {}),
      });
      const [requested] = await broker.store.auditTrail(grant.id);
      const role = config.catalog.roles.get(roleId);
      if (requested === undefined || role === undefined) throw new Error(`no template for ${roleId}`);
      return templateOf(role, { grant, event: requested }, approvers);
    };
    const templates = [
      await templateFor(
        'prod-read',
        { actions: ['s3:GetObject', 's3:ListBucket'], resources: ['arn:aws:s3:::example-exports/*'] },
        [bob]
      ),
      await templateFor(
        'prod-admin',
        { actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'], resources: ['*'] },
        [bob, dave],
        'INC-4711'
      ),
      await templateFor('staging-deploy', { actions: ['cloudformation:*'], resources: ['*'] }, [bob]),
    ];

    /** Write request units of one grant's whole life, written through the store as the broker writes it. */
    const lifeCost = async (lifecycle: Lifecycle): Promise<{ units: number; calls: number }> => {
      const chain = grantLife(templates[0] as GrantTemplate, {
        id: ulidIds(() => now).grantId(),
        requester: 'user-cost',
        // Among the open grants' times, so the report over the history does not count these three.
        createdAt: new Date(now - 60 * MINUTE),
        lifecycle,
        serial: 0,
      });
      const kill = chain.find((t) => t.kill !== undefined)?.kill;
      return meter.measure(async () => {
        await broker.store.create(chain[0] as Transition);
        for (let i = 1; i < chain.length; i++) {
          const [from, to] = [(chain[i - 1] as Transition).grant, chain[i] as Transition];
          if (to.event.type === 'grant.sessions-killed' && kill) {
            await broker.store.recordKillsApplied([{ from, to, kill, scope: 'role' }]);
          } else if (to.event.type === 'grant.kill-pruned' && kill) await broker.store.recordKillPruned(from, to, kill);
          else await broker.store.transition(from, to);
        }
      });
    };
    // One after another: the meter counts every call on the client, so lives must not overlap.
    const writeCosts: { lifecycle: Lifecycle; units: number; calls: number }[] = [];
    for (const lifecycle of ['done', 'expired', 'denied'] as const) {
      writeCosts.push({ lifecycle, ...(await lifeCost(lifecycle)) });
    }

    let serial = 0;
    const itemsFor = (lifecycle: Lifecycle, createdAt: number, keepKill = false): Promise<Item[]> => {
      const n = serial++;
      return grantItems(
        templates[n % templates.length] as GrantTemplate,
        {
          id: ulidIds(() => createdAt).grantId(),
          requester: `user-${n % USERS}`,
          createdAt: new Date(createdAt),
          lifecycle,
          serial: n,
          keepKill,
        },
        signer
      );
    };

    // The open set, the same at every size: what the inbox and the sweeper read.
    const open: Item[] = [];
    for (let i = 0; i < 40; i++) open.push(...(await itemsFor('pending', now - (5 + i) * MINUTE)));
    for (let i = 0; i < 10; i++) open.push(...(await itemsFor('pending-overdue', now - (180 + i) * MINUTE)));
    for (let i = 0; i < 40; i++) open.push(...(await itemsFor('active', now - (10 + i) * MINUTE)));
    for (let i = 0; i < 10; i++) open.push(...(await itemsFor('active-overdue', now - (240 + i) * MINUTE)));
    for (let i = 0; i < 20; i++) open.push(...(await itemsFor('done', now - (30 + i) * MINUTE, true)));
    await writeItems(doc, tableName, open);

    // History: ended grants spread over the 300 days before the open ones (7 in 10 done, 2 expired, 1 denied).
    const HISTORY_DAYS = 300;
    const OPEN_GRANTS = 120;
    const SPREAD = 100_003;
    const lifecycleOf = (n: number): Lifecycle => (n % 10 < 7 ? 'done' : n % 10 < 9 ? 'expired' : 'denied');
    const historyIds: string[] = [];
    let stored = 0;
    /** Each figure as it is measured (a 100k run takes a while), then all of them again at the end. */
    const rows: string[] = [];
    const row = (line: string) => {
      rows.push(line);
      console.error(line);
    };
    const ratios = new Map<string, { p50: number; units: number }[]>();
    const reportRuns = new Map<
      number,
      { heapMb: number; cpuMsPerGrant: number; batches: number; pages: number; seconds: number }
    >();
    let loadSeconds = 0;
    let itemsWritten = open.length;

    /**
     * The summary report over the history (every grant but the open ones, so 10,000 fit its limit):
     * time, reads, this process's CPU per grant (DynamoDB Local runs in its own process, so it is not
     * counted) and how many chains verified; then, in a second run, the heap it holds: live heap
     * sampled after a full GC every 25 ms (what the report keeps, not its garbage; the GCs slow that
     * run, so it is not the one timed).
     */
    const reportFigures = async (size: number, grants: number): Promise<string> => {
      const gc = globalThis.gc;
      if (gc === undefined) return `${String(size).padStart(7)}  summary report skipped: run with node --expose-gc`;
      const report = () =>
        runReport(broker, dave, 'summary', {
          from: new Date(now - (HISTORY_DAYS + 2) * DAY_MS).toISOString(),
          to: new Date(now - DAY_MS).toISOString(),
        });
      const start = performance.now();
      const cpuBefore = process.cpuUsage();
      const measured = await meter.measure(report);
      const cpu = process.cpuUsage(cpuBefore);
      const seconds = (performance.now() - start) / 1000;
      gc();
      const baseline = process.memoryUsage().heapUsed;
      let peak = baseline;
      const sampler = setInterval(() => {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      }, 25);
      await report();
      clearInterval(sampler);
      const heapMb = (peak - baseline) / 2 ** 20;
      const summary = measured.value as { reports: CheckedReport[] };
      const [first] = summary.reports;
      const rowCount = summary.reports.reduce((n, r) => n + r.rows.length, 0);
      const omitted = summary.reports.reduce((n, r) => n + (r.rowsOmitted ?? 0), 0);
      const cpuMsPerGrant = (cpu.user + cpu.system) / 1000 / grants;
      // Round trips waited for: one per batch of histories read at once, one per byRole page (and the denials).
      const batches = Math.ceil(grants / REPORT_READ_CONCURRENCY);
      const pages = measured.calls - 3 * grants;
      reportRuns.set(grants, { heapMb, cpuMsPerGrant, batches, pages, seconds });
      return [
        `${String(size).padStart(7)}  summary report over ${grants} grants: ${seconds.toFixed(1)} s on DynamoDB Local, ${(measured.units / grants).toFixed(2)} RRU and ${(measured.calls / grants).toFixed(2)} calls per grant, ${cpuMsPerGrant.toFixed(2)} ms CPU per grant in this process`,
        `${' '.repeat(9)}chains verified ${first?.integrity.verified ?? 0} of ${grants} (broken ${first?.integrity.brokenCount ?? 0}); ${rowCount} rows listed, ${omitted} counted only; answer ${(JSON.stringify(measured.value).length / 2 ** 20).toFixed(2)} MB of JSON`,
        `${' '.repeat(9)}peak live heap +${heapMb.toFixed(1)} MB (${((peak - baseline) / grants / 1024).toFixed(2)} KB per grant)`,
      ].join('\n');
    };

    console.log(`DynamoDB Local, ${SAMPLES} samples per read, open grants: ${OPEN_GRANTS} at every size\n`);
    console.log(
      `one grant's life written through the store: ${writeCosts.map((c) => `${c.lifecycle} ${c.units} WRU in ${c.calls} transactions`).join(', ')}\n`
    );
    for (const size of SIZES) {
      const loadStart = performance.now();
      const items: Item[] = [];
      const flush = async () => {
        await writeItems(doc, tableName, items.splice(0));
      };
      for (; stored < size; stored++) {
        const createdAt = now - DAY_MS - Math.floor(((stored * 7919) % SPREAD) * ((HISTORY_DAYS * DAY_MS) / SPREAD));
        const grantItemsOf = await itemsFor(lifecycleOf(stored), createdAt);
        items.push(...grantItemsOf);
        historyIds.push(String(grantItemsOf[0]?.id));
        itemsWritten += grantItemsOf.length;
        if (items.length >= 2000) await flush();
      }
      await flush();
      const loaded = (performance.now() - loadStart) / 1000;
      loadSeconds += loaded;

      // The reads, each SAMPLES times after a warm-up; a different grant's audit each time.
      const time = async (name: string, run: (i: number) => Promise<unknown>) => {
        for (let i = 0; i < 5; i++) await run(i);
        const samples: number[] = [];
        let units = 0;
        let calls = 0;
        for (let i = 0; i < SAMPLES; i++) {
          const start = performance.now();
          const measured = await meter.measure(() => run(i));
          samples.push(performance.now() - start);
          units += measured.units;
          calls += measured.calls;
        }
        const p50 = quantile(samples, 0.5);
        ratios.set(name, [...(ratios.get(name) ?? []), { p50, units: units / SAMPLES }]);
        row(
          `${String(size).padStart(7)}  ${name.padEnd(22)} p50 ${p50.toFixed(1).padStart(6)} ms  p95 ${quantile(samples, 0.95).toFixed(1).padStart(6)} ms  ${(units / SAMPLES).toFixed(1).padStart(5)} RRU  ${(calls / SAMPLES).toFixed(1).padStart(4)} calls`
        );
      };
      const pick = (i: number) => historyIds[(i * 104729) % historyIds.length] as string;
      await time('inbox (bob, sre)', () => listInbox(broker, bob, { limit: 50 }));
      await time("a user's list", (i) =>
        listMyGrants(broker, { userId: `user-${i % USERS}`, groups: [] }, { limit: 20 })
      );
      await time("a grant's audit", (i) => auditGrant(broker, dave, pick(i)));
      await time("sweeper's due read", async () => {
        for (const state of ['PENDING', 'APPROVED', 'ACTIVE'] as const) await dueGrants(broker, state);
        await broker.store.listAllKills();
      });
      row(`${String(size).padStart(7)}  loaded in ${loaded.toFixed(0)} s (${itemsWritten} items in the table)`);

      if (REPORT_SIZES.has(size)) row(await reportFigures(size, stored));
    }

    console.log(rows.join('\n'));
    const [first, last] = [SIZES[0], SIZES.at(-1)];
    const verdict = (ok: boolean) => (ok ? 'meets the target' : 'ABOVE THE TARGET');
    console.log(`\np50 at ${last} grants / p50 at ${first}, target ≤ ${FLAT_TARGET}× (and the read units per call):`);
    for (const [name, figures] of ratios) {
      const [small, large] = [figures[0], figures.at(-1)] as { p50: number; units: number }[];
      const ratio = (large as { p50: number }).p50 / (small as { p50: number }).p50;
      console.log(
        `  ${name.padEnd(22)} ${ratio.toFixed(2)}× ${verdict(ratio <= FLAT_TARGET)}; RRU ${small?.units.toFixed(1)} → ${large?.units.toFixed(1)}`
      );
    }
    const runs = [...reportRuns].sort(([a], [b]) => a - b);
    const [fewer, more] = [runs[0], runs.at(-1)];
    if (fewer !== undefined && more !== undefined && more !== fewer) {
      const [[fewerGrants, few], [moreGrants, many]] = [fewer, more];
      console.log(
        `\nsummary report peak live heap: ${many.heapMb.toFixed(1)} MB at ${moreGrants} grants = ${(many.heapMb / few.heapMb).toFixed(2)}× the ${fewerGrants}-grant report's ${few.heapMb.toFixed(1)} MB for ${(moreGrants / fewerGrants).toFixed(0)}× the grants (the lists of rows fill up to ${REPORT_ROW_LIMIT} each, then stop growing: docs/reports.md); ${((many.heapMb / REPORT_FUNCTION.memoryMb) * 100).toFixed(1)}% of the report Lambda's ${REPORT_FUNCTION.memoryMb} MB, target ≤ 25%: ${verdict(many.heapMb <= REPORT_FUNCTION.memoryMb / 4)}`
      );
    }
    for (const [grants, run] of runs) {
      const estimate = lambdaEstimate(grants, run);
      console.log(
        `summary report over ${grants} grants in the report Lambda (${REPORT_FUNCTION.memoryMb} MB = ${(REPORT_FUNCTION.memoryMb / ONE_VCPU_MB).toFixed(2)} vCPU), estimated: ${estimate.cpuSeconds.toFixed(1)} s CPU (${run.cpuMsPerGrant.toFixed(2)} ms a grant measured here), overlapping ${run.batches} batch reads, plus ${run.pages} page reads, at ${ASSUMED_ROUND_TRIP_MS} ms a round trip assumed = ${estimate.seconds.toFixed(1)} s; budget ${REPORT_TIME_BUDGET_SECONDS} s of its ${REPORT_FUNCTION.timeoutSeconds} s timeout: ${verdict(estimate.seconds <= REPORT_TIME_BUDGET_SECONDS)}`
      );
    }
    console.log(`\nloading took ${loadSeconds.toFixed(0)} s in all`);
  } finally {
    dynamo.destroy();
    await dynamoLocal.stop();
  }
};

await main();
