import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import type { AuditArchive } from '../../functions/adapters/aws/s3AuditArchive.js';
import { jsonLogger } from '../../functions/adapters/jsonLogger.js';
import { unavailableAws } from '../../functions/adapters/unavailableAws.js';
import type { BrokerConfig } from '../../functions/config/brokerConfig.js';
import { loadConfig } from '../../functions/config/loadConfig.js';
import type { Caller } from '../../functions/domain/caller.js';
import type { CatalogRole } from '../../functions/domain/catalog.js';
import { type AccessAdapters, composeBroker } from '../../functions/handlers/composeBroker.js';
import { sandboxAuthenticator } from '../../functions/handlers/http/authenticators.js';
import type { HttpDeps } from '../../functions/handlers/http/httpRoute.js';
import type { ChainSigner, Clock, Logger } from '../../functions/ports.js';
import { ensureTable } from '../../sandbox/ensureTable.js';
import { localDynamo } from '../../sandbox/localAws.js';
import { sandboxAuditAnchors } from '../../sandbox/sandboxAuditAnchors.js';

/** The example configuration shipped in config/: the tests use what a new user sees. */
const exampleConfig = (): Promise<BrokerConfig> => loadConfig('config');

/** A clock the test moves by hand. */
const manualClock = (start = new Date('2026-11-23T09:00:00.000Z')) => {
  let now = start.getTime();
  const clock: Clock & { advance(seconds: number): void } = {
    now: () => new Date(now),
    advance: (seconds) => {
      now += seconds * 1000;
    },
  };
  return clock;
};

/** A logger that keeps what it is given, for assertions about what does (not) get logged. */
const capturingLogger = () => {
  const lines: string[] = [];
  const logger: Logger = jsonLogger('info', (line) => lines.push(line));
  return { logger, lines };
};

/**
 * A fresh table in the run's DynamoDB Local, and a broker composed on it: chain heads signed with
 * a local key (or `signer`), events archived into a temporary directory as the sandbox does.
 */
const brokerOnFreshTable = async (
  options: {
    clock?: Clock;
    config?: BrokerConfig;
    access?: AccessAdapters;
    signer?: ChainSigner;
    /** Instead of the directory: where stored events are handed on. */
    archiveAppends?: AuditArchive;
  } = {}
) => {
  const dynamo = localDynamo(inject('dynamoEndpoint'));
  const tableName = `test-${randomUUID()}`;
  await ensureTable(dynamo, tableName);
  const config = options.config ?? (await exampleConfig());
  const { logger, lines } = capturingLogger();
  const anchors = sandboxAuditAnchors(undefined);
  const broker = composeBroker({
    config,
    dynamo,
    tableName,
    logger,
    access: options.access ?? unavailableAws('no AWS access in this test', logger),
    audit: {
      ...anchors,
      ...(options.signer ? { signer: options.signer } : {}),
      ...(options.archiveAppends ? { archiveAppends: options.archiveAppends } : {}),
    },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const deps: HttpDeps = { ...broker, authenticate: sandboxAuthenticator() };
  return {
    deps,
    dynamo,
    tableName,
    logLines: lines,
    /** How many items the table holds: proves a refused request wrote nothing. */
    itemCount: async () => (await dynamo.send(new ScanCommand({ TableName: tableName, Select: 'COUNT' }))).Count ?? 0,
    /** Where this broker's audit archive is (the sandbox's directory layout). */
    archiveDir: anchors.archiveDir,
    dispose: async () => {
      await dynamo.send(new DeleteTableCommand({ TableName: tableName }));
      dynamo.destroy();
      await anchors.dispose();
    },
  };
};

const caller = (userId: string, groups: string[] = []): Caller => ({ userId, groups });

/** A prod-read role in account 123456789012, for tests built from domain objects rather than config/. */
const PROD_READ_ROLE: CatalogRole = {
  id: 'prod-read',
  description: 'read',
  roleArn: 'arn:aws:iam::123456789012:role/jit/prod-read',
  accountId: '123456789012',
  maxDurationSeconds: 4 * 3600,
  scopeCeiling: { actions: ['s3:Get*'], resources: ['*'] },
};

export { brokerOnFreshTable, caller, capturingLogger, exampleConfig, manualClock, PROD_READ_ROLE };
