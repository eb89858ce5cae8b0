import type { AddressInfo } from 'node:net';
import { roleArnParts } from '../functions/adapters/aws/iamRolePolicies.js';
import { jsonLogger, type Level } from '../functions/adapters/jsonLogger.js';
import { recordActivity } from '../functions/app/recordActivity.js';
import { sweep } from '../functions/app/sweep.js';
import { loadConfig } from '../functions/config/loadConfig.js';
import { composeBroker } from '../functions/handlers/composeBroker.js';
import { sandboxAuthenticator } from '../functions/handlers/http/authenticators.js';
import type { HttpDeps } from '../functions/handlers/http/httpRoute.js';
import { ROUTES } from '../functions/handlers/routes.js';
import { expiryHandler } from '../functions/handlers/scheduledHandlers.js';
import type { Clock } from '../functions/ports.js';
import { type DynamoLocal, startDynamoLocal } from './dynamoLocal.js';
import { ensureTable } from './ensureTable.js';
import { LOCAL_ACCOUNT, LOCAL_REGION, localDynamo } from './localAws.js';
import { localIamClient } from './localAwsClients.js';
import { startRecordingProxy } from './recordingProxy.js';
import { type SandboxAccess, startSandboxAccess } from './sandboxAccess.js';
import { sandboxAuditAnchors } from './sandboxAuditAnchors.js';
import { sandboxConsole } from './sandboxConsole.js';
import { sandboxIam } from './sandboxIam.js';
import { createSandboxServer, type RequestLine } from './sandboxServer.js';
import { newSandboxToken, publishSandboxToken } from './sandboxToken.js';
import { scheduleDispatcher } from './scheduleDispatcher.js';
import { startTestOidcIssuer, type TestOidcIssuer, trustingTestIssuer } from './testOidcIssuer.js';
import { rememberingVends } from './vendedSessions.js';

interface SandboxOptions {
  readonly port: number;
  readonly configDir: string;
  /** Keep the table on disk here; undefined keeps it in memory. */
  readonly dataDir?: string;
  /** Use a DynamoDB that is already running instead of starting DynamoDB Local. */
  readonly dynamoEndpoint?: string;
  readonly tableName: string;
  readonly logLevel: Level;
  /** Vend from the AWS credentials configured on this machine instead of the local emulator. */
  readonly useRealAws?: boolean;
  /** How often due schedules fire and the sweeper runs. */
  readonly tickEveryMs: number;
  readonly clock?: Clock;
  readonly onRequest?: (line: RequestLine) => void;
  /** The organization-wide kill on, with its SCP in the emulator's organization (docs/ending-access.md). */
  readonly orgKill?: boolean;
  /** Start the test-only OIDC issuer (sandbox/testOidcIssuer.ts) and trust it for CI tokens. */
  readonly testOidcIssuer?: boolean;
}

interface Sandbox {
  readonly apiUrl: string;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  readonly table: 'created' | 'existing';
  /**
   * `awsEndpoint` is where users' calls go (in emulator mode, the recording proxy); `emulatorEndpoint`
   * is the emulator behind it, where the broker's own calls go — for benchmarks that time those calls raw.
   */
  readonly access: Pick<SandboxAccess, 'mode' | 'awsEndpoint'> & { readonly emulatorEndpoint?: string };
  /** This start's API token (`x-jit-sandbox-token`), and the file it was written to for the jit CLI. */
  readonly token: string;
  readonly tokenFile: string;
  readonly deps: HttpDeps;
  /** The organization's kill SCP as it is now, when the organization-wide kill is on. */
  readonly orgKillDocument?: () => Promise<string>;
  /** The test-only OIDC issuer, when started with testOidcIssuer. */
  readonly testOidcIssuer?: Omit<TestOidcIssuer, 'stop' | 'issuers'>;
  /** Fires due schedules and sweeps once, now (the timer does it every tick). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs `steps` in reverse, ignoring none of their failures silently. */
const unwind = async (steps: (() => Promise<void>)[]): Promise<void> => {
  for (const step of steps.reverse()) await step();
};

/**
 * The whole broker on one machine: configuration checked first (nothing starts on a bad one),
 * then DynamoDB Local and the table, the AWS emulator with the catalog's target roles, the API on
 * 127.0.0.1 behind a per-start token (written where the jit CLI finds it), and a ticker that fires
 * due expiry schedules and sweeps. `stop()` undoes all of it.
 */
const startSandbox = async (options: SandboxOptions): Promise<Sandbox> => {
  let config = await loadConfig(options.configDir);
  const logger = jsonLogger(options.logLevel);
  const cleanup: (() => Promise<void>)[] = [];
  try {
    let testIssuer: TestOidcIssuer | undefined;
    if (options.testOidcIssuer) {
      const started = await startTestOidcIssuer();
      cleanup.push(() => started.stop());
      config = trustingTestIssuer(config, started);
      testIssuer = started;
    }
    let dynamoEndpoint = options.dynamoEndpoint;
    if (dynamoEndpoint === undefined) {
      const dynamoLocal: DynamoLocal = await startDynamoLocal(
        options.dataDir === undefined ? {} : { dataDir: options.dataDir }
      );
      cleanup.push(() => dynamoLocal.stop());
      dynamoEndpoint = dynamoLocal.endpoint;
    }
    const dynamo = localDynamo(dynamoEndpoint);
    cleanup.push(async () => dynamo.destroy());
    const table = await ensureTable(dynamo, options.tableName);
    const audit = sandboxAuditAnchors(options.dataDir);
    cleanup.push(() => audit.dispose());
    const access = await startSandboxAccess({ useRealAws: options.useRealAws ?? false, config, logger });
    cleanup.push(() => access.stop());

    // Vended sessions are remembered with their grant, policy and tags, so the proxy can play CloudTrail and IAM.
    const vends = rememberingVends(access.adapters.credentials, () => broker.clock.now());
    // Loaded only when asked for: the Organizations client is large, and most sandboxes do without.
    const org =
      options.orgKill && access.awsEndpoint !== undefined
        ? await (await import('./orgKill.js')).sandboxOrgKill(access.awsEndpoint)
        : undefined;
    if (org !== undefined) cleanup.push(async () => org.stop());
    else if (options.orgKill) logger.warn('the organization-wide kill needs the local AWS emulator here: it is off');
    const broker = composeBroker({
      config,
      dynamo,
      tableName: options.tableName,
      logger,
      access: { ...access.adapters, credentials: vends.issuer, ...(org ? { orgKill: org.policy } : {}) },
      audit,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    let awsEndpoint = access.awsEndpoint;
    if (access.mode === 'emulator' && awsEndpoint !== undefined) {
      const iam = localIamClient(awsEndpoint);
      cleanup.push(async () => iam.destroy());
      const roles = [...config.catalog.roles.values()];
      const proxy = await startRecordingProxy({
        target: awsEndpoint,
        sessions: vends.sessions,
        resources: {
          account: LOCAL_ACCOUNT,
          roleArnByName: new Map(roles.map((r) => [roleArnParts(r.roleArn).name, r.roleArn])),
        },
        // IAM as AWS would enforce it, on the emulator's roles: AccessDenied after a kill, and outside a task's scope.
        enforce: sandboxIam({ iam, now: () => broker.clock.now() }),
        record: (record) => recordActivity(broker, record),
        now: () => broker.clock.now(),
        logger,
      });
      cleanup.push(() => proxy.stop());
      awsEndpoint = proxy.endpoint;
    }
    const deps: HttpDeps = { ...broker, authenticate: sandboxAuthenticator() };
    const token = newSandboxToken();
    let apiUrl = '';
    const server = createSandboxServer(ROUTES, deps, {
      token,
      staticRoute: await sandboxConsole(config, () => apiUrl),
      about: awsEndpoint === undefined ? {} : { awsEndpoint, region: LOCAL_REGION },
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, '127.0.0.1', () => resolve());
    });
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        })
    );

    const expire = expiryHandler(broker);
    const dispatcher =
      access.scheduler === undefined
        ? undefined
        : scheduleDispatcher({
            scheduler: access.scheduler.client,
            groupName: access.scheduler.groupName,
            invoke: (payload) => expire(payload, {} as never),
            logger,
            now: () => broker.clock.now(),
          });
    const tick = async () => {
      await dispatcher?.tick();
      await sweep(broker);
    };
    let ticking = false;
    const timer = setInterval(() => {
      if (ticking) return;
      ticking = true;
      tick()
        .catch((error: Error) => logger.error('sandbox tick failed', { error: error.message }))
        .finally(() => {
          ticking = false;
        });
    }, options.tickEveryMs);
    cleanup.push(async () => clearInterval(timer));

    const { port } = server.address() as AddressInfo;
    apiUrl = `http://127.0.0.1:${port}`;
    const published = await publishSandboxToken({ env: process.env, url: apiUrl, port, token });
    cleanup.push(() => published.remove());
    return {
      apiUrl,
      dynamoEndpoint,
      tableName: options.tableName,
      table,
      // In emulator mode this is the recording proxy: calls made through it appear in `jit audit` and the reports.
      access: {
        mode: access.mode,
        ...(awsEndpoint ? { awsEndpoint } : {}),
        ...(access.mode === 'emulator' && access.awsEndpoint ? { emulatorEndpoint: access.awsEndpoint } : {}),
      },
      token,
      tokenFile: published.path,
      deps,
      ...(org ? { orgKillDocument: org.document } : {}),
      ...(testIssuer === undefined
        ? {}
        : {
            testOidcIssuer: {
              url: testIssuer.url,
              requestToken: testIssuer.requestToken,
              audience: testIssuer.audience,
              tokenUrls: testIssuer.tokenUrls,
            },
          }),
      tick,
      stop: () => unwind(cleanup),
    };
  } catch (error) {
    await unwind(cleanup);
    throw error;
  }
};

export type { Sandbox, SandboxOptions };
export { startSandbox };
