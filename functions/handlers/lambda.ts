import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IAMClient } from '@aws-sdk/client-iam';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { STSClient } from '@aws-sdk/client-sts';
import type { Context } from 'aws-lambda';
import { IamRolePolicies } from '../adapters/aws/iamRolePolicies.js';
import { SchedulerExpiry } from '../adapters/aws/schedulerExpiry.js';
import { StsCredentialIssuer } from '../adapters/aws/stsCredentialIssuer.js';
import { jsonLogger, logLevelFromEnv } from '../adapters/jsonLogger.js';
import { loadConfig } from '../config/loadConfig.js';
import { composeBroker } from './composeBroker.js';
import { iamAuthenticator } from './http/authenticators.js';
import type { HttpDeps, HttpHandler } from './http/httpRoute.js';
import type { HttpEvent } from './http/httpTypes.js';
import { ROUTES, type Route } from './routes.js';
import { expiryHandler, sweepHandler } from './scheduledHandlers.js';

/**
 * Lambda entry points, one per route plus the scheduled ones. Dependencies are composed once per
 * execution environment, on the first invocation; identity always comes from the IAM authorizer.
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
      access: {
        credentials: new StsCredentialIssuer(new STSClient({})),
        rolePolicies: new IamRolePolicies(new IAMClient({})),
        expiry: new SchedulerExpiry(new SchedulerClient({}), {
          groupName: required('SCHEDULE_GROUP'),
          functionArn: required('EXPIRY_FUNCTION_ARN'),
          roleArn: required('SCHEDULER_ROLE_ARN'),
          deadLetterArn: required('EXPIRY_DLQ_ARN'),
        }),
      },
    });
    return { ...broker, authenticate: iamAuthenticator(config.identitySources) };
  })();
  return deps;
};

/** Builds the handler on first use, with the dependencies of this execution environment. */
const lazily = <E, R>(build: (deps: HttpDeps) => (event: E, context: Context) => Promise<R>) => {
  let handler: ((event: E, context: Context) => Promise<R>) | undefined;
  return async (event: E, context: Context): Promise<R> => {
    handler ??= build(await productionDeps());
    return handler(event, context);
  };
};

const route = (name: string) =>
  lazily<HttpEvent, Awaited<ReturnType<HttpHandler>>>((d) => (ROUTES.find((r) => r.name === name) as Route).build(d));

export const health = route('health');
export const createGrant = route('createGrant');
export const listGrants = route('listGrants');
export const getGrant = route('getGrant');
export const approveGrant = route('approveGrant');
export const denyGrant = route('denyGrant');
export const cancelGrant = route('cancelGrant');
export const getGrantAudit = route('getGrantAudit');
export const vendCredentials = route('vendCredentials');
export const finishGrant = route('finishGrant');
export const revokeGrant = route('revokeGrant');
export const extendGrant = route('extendGrant');
export const expire = lazily(expiryHandler);
export const sweep = lazily(sweepHandler);
