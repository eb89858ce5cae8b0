/**
 * Each Lambda bundle (functions/handlers/lambda/bundles.ts) as a cold start sees it, against the
 * targets of issue 15: its entry's size (minified `index.mjs`, what every cold start parses), the
 * import-only init, and the time from a cold start to the first answer of its heaviest function.
 * Each timing runs in a fresh Node process, as Lambda's init does, several times; the median is
 * reported. Exits 1 when any figure is above its target. Reads the bundles from cdk.out,
 * synthesizing first when there is none or it is older than the sources.
 *
 *   npm run bench:bundles          (BENCH_RUNS=7 for more runs; CDK_OUT=dir for another cdk.out)
 *
 * The first answer is measured without a network: the AWS endpoint is a closed local port (one
 * attempt), so it is the broker's own cost up to its first AWS call — reading the configuration,
 * compiling the policies where the function decides, the action catalog where it narrows, loading
 * the SDK client — and the answer is the 503 that an unreachable DynamoDB gets. Local Node is not
 * Lambda's (CPU, disk, Node version): compare bundles with each other and across commits.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LAMBDA_BUNDLES } from '../functions/handlers/lambda/bundles.js';
import { provideRuntimeSdk } from '../test/deploy/bundles.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const OUT = resolve(process.env.CDK_OUT ?? 'cdk.out');
/** What the bundles are built from. */
const BUNDLE_SOURCES = ['functions', 'config', 'policies', 'infra'];
const STACK = 'JitBroker';

const TARGET = { entryBytes: 300 * 1024, importMs: 150, firstAnswerMs: 400 };

interface FunctionResource {
  Type: string;
  Properties: { Handler: string };
  Metadata?: Record<string, string>;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

const GRANT = 'g-01jbench000000000000000000';
const CALLER = {
  accountId: '123456789012',
  userId: 'AROAEXAMPLEJITCALLER1:alice',
  userArn: 'arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_JitBrokerCaller_0123456789abcdef/alice',
};

/** An API Gateway event by alice (an IAM-authenticated caller of the example configuration). */
const httpEvent = (method: string, path: string, body?: unknown) => ({
  version: '2.0',
  routeKey: `${method} ${path}`,
  rawPath: path,
  rawQueryString: '',
  headers: body === undefined ? {} : { 'content-type': 'application/json' },
  ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  pathParameters: { id: GRANT },
  isBase64Encoded: false,
  requestContext: { http: { method, path }, requestId: 'bench', authorizer: { iam: CALLER } },
});

/** Per bundle, the function whose first answer does the most (it reaches DynamoDB last). */
const FIRST_ANSWER: Record<string, { handler: string; event: unknown }> = {
  health: { handler: 'health', event: httpEvent('GET', '/health') },
  reads: { handler: 'getGrant', event: httpEvent('GET', `/grants/${GRANT}`) },
  approvals: { handler: 'approveGrant', event: httpEvent('POST', `/grants/${GRANT}/approve`) },
  requests: {
    handler: 'createGrant',
    event: httpEvent('POST', '/grants', {
      role: 'prod-read',
      durationSeconds: 1800,
      reason: 'reading the example bucket',
      scope: { actions: ['s3:Get*'], resources: ['arn:aws:s3:::example-bucket/*'] },
    }),
  },
  access: { handler: 'vendCredentials', event: httpEvent('POST', `/grants/${GRANT}/credentials`) },
  ending: { handler: 'finishGrant', event: httpEvent('POST', `/grants/${GRANT}/done`) },
};

/** One cold start in a fresh process: the import, then (when given) one invocation. */
const coldStart = (
  dir: string,
  invoke?: { handler: string; event: unknown }
): { importMs: number; answerMs?: number; status?: number } => {
  const script = `
    const t0 = performance.now();
    const bundle = await import(${JSON.stringify(pathToFileURL(join(dir, 'index.mjs')).href)});
    const t1 = performance.now();
    const invoke = JSON.parse(process.argv[1]);
    let answer;
    if (invoke) answer = await bundle[invoke.handler](invoke.event,
      { functionName: invoke.handler, awsRequestId: 'bench', getRemainingTimeInMillis: () => 10000 });
    const t2 = performance.now();
    process.stdout.write('\\nTIMING ' + JSON.stringify({ importMs: t1 - t0,
      ...(invoke ? { answerMs: t2 - t0, status: answer.statusCode } : {}) }) + '\\n');
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(invoke ?? null)], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_MAX_ATTEMPTS: '1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      TABLE_NAME: 'bench',
      SCHEDULE_GROUP: 'bench',
      CHAIN_SIGNING_KEY_ARN: 'arn:aws:kms:us-east-1:123456789012:key/bench',
      JIT_CONFIG_DIR: join(dir, 'config'),
      ...(existsSync(join(dir, 'schema.cedarschema')) ? { JIT_POLICY_SCHEMA: join(dir, 'schema.cedarschema') } : {}),
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = out.split('\n').find((l) => l.startsWith('TIMING '));
  if (line === undefined) throw new Error(`no timing from ${dir}: ${out}`);
  return JSON.parse(line.slice('TIMING '.length));
};

/** The newest modification time of the files under `dirs` (what the bundles are built from). */
const newestSource = (dirs: readonly string[]): number =>
  Math.max(
    0,
    ...dirs.flatMap((dir) =>
      existsSync(dir)
        ? readdirSync(dir, { recursive: true, withFileTypes: true })
            .filter((entry) => entry.isFile())
            .map((entry) => statSync(join(entry.parentPath, entry.name)).mtimeMs)
        : []
    )
  );

const main = (): void => {
  const templatePath = join(OUT, `${STACK}.template.json`);
  // A cdk.out older than the sources would time yesterday's bundles: synthesize again then.
  const stale = existsSync(templatePath) && statSync(templatePath).mtimeMs < newestSource(BUNDLE_SOURCES);
  if (!existsSync(templatePath) || (stale && process.env.CDK_OUT === undefined)) {
    console.log(
      `${stale ? 'cdk.out is older than the sources' : 'no synthesized app in cdk.out'}: running \`npx cdk synth --quiet\` first`
    );
    execFileSync('npx', ['cdk', 'synth', '--quiet'], { stdio: 'inherit' });
  }
  const template = JSON.parse(readFileSync(templatePath, 'utf8')) as { Resources: Record<string, FunctionResource> };
  const assetOf = new Map(
    Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:asset:path'] !== undefined)
      .map((r) => [r.Properties.Handler.replace(/^index\./, ''), join(OUT, r.Metadata?.['aws:asset:path'] as string)])
  );

  const nodeStartMs = median(
    Array.from({ length: RUNS }, () => {
      const t = performance.now();
      execFileSync(process.execPath, ['-e', '0']);
      return performance.now() - t;
    })
  );
  console.log(
    `node ${process.version}, ${RUNS} cold starts per bundle, medians; \`node -e 0\` ${nodeStartMs.toFixed(0)} ms ` +
      `(about 130 ms on a quiet 2-core machine); load average ${loadavg()[0]?.toFixed(1)} (a busy machine inflates every time)\n`
  );
  const header = ['bundle', 'index.mjs KB', 'all .mjs KB', 'import ms', 'first answer ms', 'answer', 'functions'];
  console.log(
    `${header[0]?.padEnd(10)} ${header
      .slice(1, 5)
      .map((h) => h?.padStart(15))
      .join(' ')}  ${header[5]}  ${header[6]}`
  );
  const over: string[] = [];
  for (const bundle of LAMBDA_BUNDLES) {
    const dir = assetOf.get(bundle.functions[0] as string);
    if (dir === undefined) throw new Error(`no function of the ${bundle.name} bundle in ${templatePath}`);
    provideRuntimeSdk(dir);
    const invoke = FIRST_ANSWER[bundle.name];
    if (invoke === undefined) throw new Error(`bench/bundles.ts has no first answer for the ${bundle.name} bundle`);
    coldStart(dir, invoke); // warm the OS file cache, as Lambda's own is warm for its image
    const runs = Array.from({ length: RUNS }, () => coldStart(dir, invoke));
    const imports = Array.from({ length: RUNS }, () => coldStart(dir).importMs);
    const importMs = median(imports);
    const answerMs = median(runs.map((r) => r.answerMs as number));
    const entryBytes = statSync(join(dir, 'index.mjs')).size;
    const allBytes = readdirSync(dir)
      .filter((f) => f.endsWith('.mjs'))
      .reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    const statuses = [...new Set(runs.map((r) => r.status))].join('/');
    if (entryBytes > TARGET.entryBytes)
      over.push(`${bundle.name}: index.mjs ${entryBytes} bytes > ${TARGET.entryBytes}`);
    if (importMs > TARGET.importMs) over.push(`${bundle.name}: import ${importMs.toFixed(0)} ms > ${TARGET.importMs}`);
    if (answerMs > TARGET.firstAnswerMs) {
      over.push(`${bundle.name}: first answer ${answerMs.toFixed(0)} ms > ${TARGET.firstAnswerMs}`);
    }
    console.log(
      `${bundle.name.padEnd(10)} ${[entryBytes / 1024, allBytes / 1024, importMs, answerMs]
        .map((n) => n.toFixed(1).padStart(15))
        .join(' ')}  ${`${invoke.handler} ${statuses}`.padEnd(18)}  ${bundle.functions.join(' ')}`
    );
  }
  console.log(
    `\ntargets: index.mjs <= ${TARGET.entryBytes / 1024} KB, import <= ${TARGET.importMs} ms, first answer <= ${TARGET.firstAnswerMs} ms` +
      '\nfirst answer: cold start to the response, AWS endpoint unreachable (the 5xx is DynamoDB not answering)'
  );
  if (over.length > 0) {
    console.log(`\nABOVE TARGET:\n  ${over.join('\n  ')}`);
    process.exitCode = 1;
  }
};

main();
