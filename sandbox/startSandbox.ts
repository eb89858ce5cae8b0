import type { AddressInfo } from 'node:net';
import { jsonLogger, type Level } from '../functions/adapters/jsonLogger.js';
import { sweepPending } from '../functions/app/sweepPending.js';
import { loadConfig } from '../functions/config/loadConfig.js';
import { composeBroker } from '../functions/handlers/composeBroker.js';
import { sandboxAuthenticator } from '../functions/handlers/http/authenticators.js';
import type { HttpDeps } from '../functions/handlers/http/httpRoute.js';
import { ROUTES } from '../functions/handlers/routes.js';
import { type DynamoLocal, startDynamoLocal } from './dynamoLocal.js';
import { ensureTable } from './ensureTable.js';
import { localDynamo } from './localAws.js';
import { createSandboxServer } from './sandboxServer.js';

interface SandboxOptions {
  readonly port: number;
  readonly configDir: string;
  /** Keep the table on disk here; undefined keeps it in memory. */
  readonly dataDir?: string;
  /** Use a DynamoDB that is already running instead of starting DynamoDB Local. */
  readonly dynamoEndpoint?: string;
  readonly tableName: string;
  readonly logLevel: Level;
  /** How often the sweeper looks for overdue grants. */
  readonly sweepEveryMs: number;
  readonly onRequest?: Parameters<typeof createSandboxServer>[2];
}

interface Sandbox {
  readonly apiUrl: string;
  readonly dynamoEndpoint: string;
  readonly tableName: string;
  readonly table: 'created' | 'existing';
  readonly deps: HttpDeps;
  stop(): Promise<void>;
}

/**
 * The whole broker on one machine: configuration checked first (nothing starts on a bad one),
 * then DynamoDB Local, the table, the API on 127.0.0.1 and the sweeper. `stop()` undoes all of it.
 */
const startSandbox = async (options: SandboxOptions): Promise<Sandbox> => {
  const config = await loadConfig(options.configDir);
  let dynamoLocal: DynamoLocal | undefined;
  if (options.dynamoEndpoint === undefined) {
    dynamoLocal = await startDynamoLocal(options.dataDir === undefined ? {} : { dataDir: options.dataDir });
  }
  const dynamoEndpoint = options.dynamoEndpoint ?? (dynamoLocal as DynamoLocal).endpoint;
  const dynamo = localDynamo(dynamoEndpoint);
  try {
    const table = await ensureTable(dynamo, options.tableName);
    const logger = jsonLogger(options.logLevel);
    const broker = composeBroker({ config, dynamo, tableName: options.tableName, logger });
    const deps: HttpDeps = { ...broker, authenticate: sandboxAuthenticator() };
    const server = createSandboxServer(ROUTES, deps, options.onRequest);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, '127.0.0.1', () => resolve());
    });
    const sweeper = setInterval(() => {
      sweepPending(broker).catch((error: Error) => logger.error('sweep failed', { error: error.message }));
    }, options.sweepEveryMs);
    const { port } = server.address() as AddressInfo;
    return {
      apiUrl: `http://127.0.0.1:${port}`,
      dynamoEndpoint,
      tableName: options.tableName,
      table,
      deps,
      stop: async () => {
        clearInterval(sweeper);
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        dynamo.destroy();
        await dynamoLocal?.stop();
      },
    };
  } catch (error) {
    dynamo.destroy();
    await dynamoLocal?.stop();
    throw error;
  }
};

export type { Sandbox, SandboxOptions };
export { startSandbox };
