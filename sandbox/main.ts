import { parseArgs } from 'node:util';
import { ConfigurationError } from '../functions/domain/errors.js';
import { quickStart } from './quickStart.js';
import { consoleUrl } from './sandboxConsole.js';
import { type Sandbox, startSandbox } from './startSandbox.js';

const USAGE = `Usage: npm start -- [options]

Runs jit-broker on this machine: DynamoDB Local (needs Java 17), the AWS emulator for STS, IAM and
Scheduler (moto_server, when installed), the API on 127.0.0.1, and a ticker that fires due expiry
schedules and runs the sweeper. API requests need this start's token in the header
x-jit-sandbox-token: it is printed at start and written where the jit CLI finds it.

Options:
  --port N          API port on 127.0.0.1 (default 8787; 0 picks a free one)   env JIT_SANDBOX_PORT
  --data-dir DIR    keep grants on disk in DIR (default .sandbox/data)
  --in-memory       keep nothing: every start begins empty
  --config-dir DIR  catalog.json, groups.json, identity-sources.json (default config)
  --aws             vend real credentials with this machine's AWS configuration (default: the
                    local AWS emulator moto_server when installed: pip install "moto[server]")
  --org-kill        also kill ended grants organization-wide: an SCP in the emulator's organization
                    (docs/ending-access.md)
  --test-oidc-issuer
                    TEST ONLY: also run an OIDC issuer on 127.0.0.1 that mints GitHub- and
                    GitLab-shaped CI tokens for any claims, and trust it (in memory only), to try
                    jit ci, the GitHub Action and the GitLab template here (docs/ci.md)
  --json            print one JSON line when ready (for scripts) instead of the quick start
  --quiet           do not log each request
  -h, --help        show this help`;

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.JIT_SANDBOX_PORT ?? '8787' },
      'data-dir': { type: 'string', default: '.sandbox/data' },
      'in-memory': { type: 'boolean', default: false },
      'config-dir': { type: 'string', default: 'config' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      aws: { type: 'boolean', default: false },
      'org-kill': { type: 'boolean', default: false },
      'test-oidc-issuer': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0-65535, got '${values.port}'`);
  const dataDir = values['in-memory'] ? undefined : values['data-dir'];

  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      port,
      configDir: values['config-dir'],
      ...(dataDir === undefined ? {} : { dataDir }),
      tableName: 'jit-broker',
      logLevel: values.quiet || values.json ? 'warn' : 'info',
      tickEveryMs: 2000,
      useRealAws: values.aws,
      orgKill: values['org-kill'],
      testOidcIssuer: values['test-oidc-issuer'],
      onRequest:
        values.quiet || values.json
          ? () => {}
          : (r) => console.log(`${r.method} ${r.path} → ${r.status} (${r.ms} ms)${r.user ? ` as ${r.user}` : ''}`),
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`port ${port} is in use: start with --port <another port> (or --port 0 for any free one)`);
    }
    throw error;
  }

  if (values.json) {
    console.log(
      JSON.stringify({
        ready: true,
        api: sandbox.apiUrl,
        dynamodb: sandbox.dynamoEndpoint,
        table: sandbox.tableName,
        dataDir: dataDir ?? null,
        access: sandbox.access.mode,
        awsEndpoint: sandbox.access.awsEndpoint ?? null,
        emulatorEndpoint: sandbox.access.emulatorEndpoint ?? null,
        token: sandbox.token,
        tokenFile: sandbox.tokenFile,
        console: consoleUrl(sandbox),
        orgKill: sandbox.orgKillDocument !== undefined,
        testOidcIssuer: sandbox.testOidcIssuer ?? null,
      })
    );
  } else {
    console.log(quickStart(sandbox, dataDir));
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (!values.json) console.log(`\n${signal}: stopping the API, the AWS emulator and DynamoDB Local…`);
    sandbox.stop().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`stop failed: ${error.message}`);
        process.exit(1);
      }
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
};

main().catch((error: Error) => {
  const text = error instanceof ConfigurationError ? error.message : `jit-broker sandbox: ${error.message}`;
  console.error(text);
  process.exit(1);
});
