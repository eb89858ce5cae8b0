import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { jsonLogger } from '../functions/adapters/jsonLogger.js';
import { localChainSigner } from '../functions/adapters/localChainSigner.js';
import { unavailableAws } from '../functions/adapters/unavailableAws.js';
import type { BrokerConfig } from '../functions/config/brokerConfig.js';
import { loadConfig } from '../functions/config/loadConfig.js';
import { composeBroker } from '../functions/handlers/composeBroker.js';
import type { HttpEvent } from '../functions/handlers/http/httpTypes.js';
import type { ChainSigner, Logger } from '../functions/ports.js';
import { startDynamoLocal } from '../sandbox/dynamoLocal.js';
import { localDynamo } from '../sandbox/localAws.js';
import { startSandboxAccess } from '../sandbox/sandboxAccess.js';
import { grantRouteEvent } from '../test/helpers/sandboxApiEvent.js';
import { quantile, summary } from './stats.js';

/** `POST /grants/{id}/<action>` by a sandbox user: the benchmarks time the handler itself. */
const grantPostEvent = (action: string, grantId: string, userId: string, body?: unknown): HttpEvent =>
  grantRouteEvent('POST', grantId, userId, { action, body });

/**
 * The sandbox's emulators for a benchmark, with the example configuration: DynamoDB Local, and
 * moto_server with the catalog's target roles (the sandbox's own adapters on it). `stop()` ends both.
 */
const startEmulators = async () => {
  const config = await loadConfig('config');
  const logger = jsonLogger('silent');
  const dynamoLocal = await startDynamoLocal();
  const access = await startSandboxAccess({ useRealAws: false, config, logger });
  if (access.mode !== 'emulator' || access.awsEndpoint === undefined) {
    await access.stop();
    await dynamoLocal.stop();
    throw new Error('this benchmark needs the local AWS emulator: pip install "moto[server]"');
  }
  const dynamo = localDynamo(dynamoLocal.endpoint);
  const stop = async () => {
    dynamo.destroy();
    await access.stop();
    await dynamoLocal.stop();
  };
  return { config, logger, dynamo, access, awsEndpoint: access.awsEndpoint, stop };
};

/**
 * A broker on one DynamoDB Local table with no AWS behind it (requests, reads and reports; any AWS
 * call fails), its chains signed with a local key as the sandbox's are (`signer`, to sign items a
 * benchmark writes itself with the same key).
 */
const offlineBroker = (input: {
  config: BrokerConfig;
  dynamo: DynamoDBClient;
  tableName: string;
  logger: Logger;
  signer?: ChainSigner;
}) => {
  const { signer = localChainSigner(), ...rest } = input;
  return composeBroker({ ...rest, access: unavailableAws('bench', input.logger), audit: { signer } });
};

/**
 * A printer of series against one floor (samples in ms): each line gives the series' median and p95,
 * and their ratios to the floor's; with a target, whether the median ratio meets it.
 */
const ratioLine = (floorSamples: readonly number[]) => {
  const floor = summary(floorSamples);
  return (label: string, samples: readonly number[], target?: number): string => {
    const t = summary(samples);
    const ratio = t.median / floor.median;
    const verdict = target === undefined ? '' : ratio <= target ? `  meets ≤ ${target}x` : `  MISSES ≤ ${target}x`;
    return (
      `  ${label.padEnd(50)} p50 ${t.median.toFixed(2).padStart(6)} ms  p95 ${t.p95.toFixed(2).padStart(6)} ms` +
      `  ratio ${ratio.toFixed(2)}x (p95 ${(t.p95 / floor.p95).toFixed(2)}x)${verdict}`
    );
  };
};

export { grantPostEvent, offlineBroker, quantile, ratioLine, startEmulators, summary };
