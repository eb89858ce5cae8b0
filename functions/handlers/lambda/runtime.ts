import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { loggingAlerts } from '../../adapters/loggingAlerts.js';
import { meteredAlerts } from '../../adapters/meteredAlerts.js';
import { once } from '../../adapters/once.js';
import { powertoolsLogger } from '../../adapters/powertoolsLogger.js';
import { systemClock } from '../../adapters/systemClock.js';
import type { BrokerDeps } from '../../app/deps.js';
import { checkConfig, type PolicyCompiler } from '../../config/checkConfig.js';
import type { CiIssuer } from '../../config/ciConfig.js';
import { readConfig } from '../../config/readConfig.js';
import type { BrokerPolicies } from '../../policy/policySet.js';
import type { ActionCatalog, Clock, Logger as LoggerPort, PolicyEngine, WorkloadTokenVerifier } from '../../ports.js';
import { brokerDeps } from '../brokerDeps.js';
import { iamAuthenticator } from '../http/authenticators.js';
import type { HttpDeps, HttpHandler } from '../http/httpRoute.js';
import type { HttpEvent } from '../http/httpTypes.js';
import type { Route } from '../routes.js';
import { awsPorts, type KmsChainSigning, kmsChainSigner } from './awsPorts.js';
import { type BundleExtra, LAMBDA_BUNDLES, type LambdaBundle } from './bundles.js';
import { lazyPort } from './lazy.js';
import { sourceMappedStack } from './sourceMaps.js';

/**
 * What a bundle's entry brings besides the runtime, each imported on first use (so each is a
 * chunk of its own, loaded only by the functions that call it). A bundle without one of them gets
 * a port that refuses, naming its bundle: a function reaching it is a bug in bundles.ts.
 */
interface BundleModules {
  /** Cedar: the policy compiler (the configuration's policies) and the engine that decides with them. */
  readonly policies?: () => Promise<{
    compilePolicies: PolicyCompiler;
    cedarPolicyEngine: (policies: BrokerPolicies) => PolicyEngine;
  }>;
  /** The IAM action catalog (iam-data). */
  readonly actionCatalog?: () => Promise<{ iamDataActionCatalog: () => ActionCatalog }>;
  /** CI jobs' OIDC tokens (jose). */
  readonly workloadTokens?: () => Promise<{
    joseTokenVerifier: (issuers: readonly CiIssuer[], clock: Clock) => WorkloadTokenVerifier;
  }>;
  /** The audit chain's KMS signer: every bundle that appends events or reads chains (all but health). */
  readonly chainSigning?: KmsChainSigning;
}

const EXTRA_MODULES: Readonly<Record<BundleExtra, keyof BundleModules>> = {
  policies: 'policies',
  actionCatalog: 'actionCatalog',
  chainSigner: 'chainSigning',
};

/**
 * Environment: `JIT_CONFIG_DIR` (the configuration shipped in the bundle; default `config`,
 * relative to the cwd), `JIT_POLICY_SCHEMA` (the Cedar schema, in bundles that decide),
 * `POWERTOOLS_SERVICE_NAME`, `POWERTOOLS_METRICS_NAMESPACE`, `POWERTOOLS_LOG_LEVEL`, and those of
 * awsPorts.ts. Identity always comes from the IAM authorizer.
 */
const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'jit-broker' });
const metrics = new Metrics({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'jit-broker',
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'JitBroker',
});

/** An unexpected error's stack, logged in source terms (sourceMaps.ts). */
const withSourceStack = <E>(error: E): E => {
  if (error instanceof Error && typeof error.stack === 'string') error.stack = sourceMappedStack(error.stack);
  return error;
};

/** The Logger port on Powertools; the stacks of unexpected errors (errorMapping's `error.stack`) in source terms. */
const lambdaLogger = (): LoggerPort => {
  const log = powertoolsLogger(logger);
  return {
    ...log,
    error: (message, fields) => {
      const error = fields?.error as { stack?: unknown } | undefined;
      log.error(
        message,
        typeof error?.stack === 'string'
          ? { ...fields, error: { ...error, stack: sourceMappedStack(error.stack) } }
          : fields
      );
    },
  };
};

const missing = (bundle: LambdaBundle, what: string) =>
  lazyPort<never>(async () => {
    throw new Error(`the ${bundle.name} bundle ships no ${what} (functions/handlers/lambda/bundles.ts)`);
  });

/**
 * Composes the dependencies of this execution environment, on its first invocation: the
 * configuration (its policies only where the bundle decides), and every port lazily.
 */
const compose = async (bundle: LambdaBundle, modules: BundleModules): Promise<HttpDeps> => {
  const decides = await modules.policies?.();
  const { documents, problems } = await readConfig(process.env.JIT_CONFIG_DIR ?? 'config', {
    policies: decides !== undefined,
  });
  const config = checkConfig(documents, problems, decides?.compilePolicies);
  const log = lambdaLogger();
  const { actionCatalog, workloadTokens, chainSigning } = modules;
  const deps: BrokerDeps = brokerDeps({
    config,
    logger: log,
    clock: systemClock,
    alerts: meteredAlerts(loggingAlerts(log), metrics),
    ports: {
      ...awsPorts(config, systemClock),
      policy: decides === undefined ? missing(bundle, 'policy engine') : decides.cedarPolicyEngine(config.policies),
      actions:
        actionCatalog === undefined
          ? missing(bundle, 'IAM action catalog')
          : lazyPort(async () => (await actionCatalog()).iamDataActionCatalog()),
      workloadTokens:
        workloadTokens === undefined
          ? missing(bundle, 'OIDC token verifier')
          : lazyPort(async () => (await workloadTokens()).joseTokenVerifier(config.ci.issuers, systemClock)),
      chainSigner: chainSigning === undefined ? missing(bundle, 'audit chain signer') : kmsChainSigner(chainSigning),
    },
  });
  return { ...deps, authenticate: iamAuthenticator(config.identitySources) };
};

/**
 * The handlers of one bundle (bundles.ts names it, and what it ships: the modules given here must
 * match, or the bundle fails to load — test/deploy loads every bundle).
 *
 * Each handler builds itself on first use, with the dependencies of this execution environment,
 * and wraps every invocation in Powertools: the Lambda context and handler name on each log line,
 * and one outcome metric per invocation, flushed as EMF before returning. The metrics carry only
 * the service dimension: each extra dimension value is another billed custom metric, and Lambda's
 * own metrics (per function: invocations, errors, duration, init) are free.
 */
const lambdaBundle = (name: string, modules: BundleModules) => {
  const bundle = LAMBDA_BUNDLES.find((b) => b.name === name);
  if (bundle === undefined) throw new Error(`no Lambda bundle named ${name} in bundles.ts`);
  for (const [extra, module] of Object.entries(EXTRA_MODULES) as [BundleExtra, keyof BundleModules][]) {
    if (bundle.ships.includes(extra) !== (modules[module] !== undefined)) {
      throw new Error(
        `the ${name} bundle ${bundle.ships.includes(extra) ? 'ships' : 'does not ship'} ${extra}: its entry must agree`
      );
    }
  }
  // A broken deployment (config, environment) fails this invocation and is tried again on the next.
  const productionDeps = once(() => compose(bundle, modules));

  const instrumented = <E, R>(
    handlerName: string,
    build: (deps: HttpDeps) => (event: E, context: Context) => Promise<R>,
    outcome: (result: R) => string
  ) => {
    if (!bundle.functions.includes(handlerName)) {
      throw new Error(`bundles.ts does not deploy ${handlerName} from the ${name} bundle`);
    }
    let handler: ((event: E, context: Context) => Promise<R>) | undefined;
    return async (event: E, context: Context): Promise<R> => {
      logger.addContext(context);
      logger.appendKeys({ handler: handlerName });
      try {
        handler ??= build(await productionDeps());
        const result = await handler(event, context);
        metrics.addMetric(outcome(result), MetricUnit.Count, 1);
        return result;
      } catch (error) {
        metrics.addMetric('unhandled-error', MetricUnit.Count, 1);
        logger.error('invocation failed', withSourceStack(error) as Error);
        throw error;
      } finally {
        metrics.publishStoredMetrics();
      }
    };
  };

  return {
    /** The entry point of one route (routes.ts): the stack sets its function's Handler to `index.<route name>`. */
    http: (route: Route) =>
      instrumented<HttpEvent, Awaited<ReturnType<HttpHandler>>>(
        route.name,
        (d) => route.build(d),
        (response) => `http-${Math.floor(response.statusCode / 100)}xx`
      ),
    /** A function invoked by a schedule or an event rule. */
    scheduled: instrumented,
  };
};

export type { BundleModules };
export { lambdaBundle };
