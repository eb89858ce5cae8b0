import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { jsonLogger, logLevelFromEnv } from '../adapters/jsonLogger.js';
import { loadConfig } from '../config/loadConfig.js';
import { composeBroker } from './composeBroker.js';
import { iamAuthenticator } from './http/authenticators.js';
import type { HttpDeps, HttpHandler } from './http/httpRoute.js';
import type { HttpEvent } from './http/httpTypes.js';
import { ROUTES, type Route } from './routes.js';

/**
 * Lambda entry points, one per route. Dependencies are composed once per execution environment,
 * on the first invocation; identity always comes from the IAM authorizer here.
 */
let deps: Promise<HttpDeps> | undefined;

const required = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
};

const productionDeps = (): Promise<HttpDeps> => {
  deps ??= (async () => {
    const config = await loadConfig(process.env.JIT_CONFIG_DIR ?? 'config');
    const broker = composeBroker({
      config,
      dynamo: new DynamoDBClient({}),
      tableName: required('TABLE_NAME'),
      logger: jsonLogger(logLevelFromEnv(process.env.LOG_LEVEL)),
    });
    return { ...broker, authenticate: iamAuthenticator(config.identitySources) };
  })();
  return deps;
};

const entry = (name: string) => {
  const route = ROUTES.find((r) => r.name === name) as Route;
  let handler: HttpHandler | undefined;
  return async (event: HttpEvent, context: Context) => {
    handler ??= route.build(await productionDeps());
    return handler(event, context);
  };
};

export const health = entry('health');
export const createGrant = entry('createGrant');
export const listGrants = entry('listGrants');
export const getGrant = entry('getGrant');
export const approveGrant = entry('approveGrant');
export const denyGrant = entry('denyGrant');
export const cancelGrant = entry('cancelGrant');
export const getGrantAudit = entry('getGrantAudit');
