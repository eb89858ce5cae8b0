import { AsyncLocalStorage } from 'node:async_hooks';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type IamRequest, iamRequestsOf } from './iamRequests.js';

/**
 * Which AWS calls each Lambda function's code makes, observed rather than listed by hand: every
 * SDK client in a test process gets a middleware that, while a test runs code as a function
 * (`asFunction('finishGrant', …)`: the API server, the expiry dispatcher and the tests that call
 * the sweeper, the recorder or the stream publisher do), writes down the IAM requests of each call.
 *
 * test/deploy/awsCalls.json holds what the integration tier observed; test/deploy checks every
 * entry against the deployed function's role. After each test file, what it observed must be in
 * that file (recordAwsCalls.ts), so a new call cannot skip the check: run `npm run test:aws-calls`
 * to write the file again, and the deploy tier tells whether the role allows it.
 */
interface ObservedCall extends IamRequest {
  readonly function: string;
}

const AWS_CALLS_FILE = join(import.meta.dirname, '..', 'deploy', 'awsCalls.json');

const invocation = new AsyncLocalStorage<string>();
const observed = new Map<string, ObservedCall>();
const problems: string[] = [];

/** Runs `work` as the Lambda function `name`: the AWS calls it makes are that function's. */
const asFunction = <T>(name: string, work: () => T): T => invocation.run(name, work);

const keyOf = (call: ObservedCall): string => JSON.stringify([call.function, call.action, call.resource, call.context]);

const record = (fn: string, clientName: string, commandName: string, input: Record<string, unknown>): void => {
  let requests: IamRequest[];
  try {
    requests = iamRequestsOf(clientName, commandName, input);
  } catch (error) {
    problems.push(`${fn} called ${clientName} ${commandName}: ${(error as Error).message}`);
    return;
  }
  for (const request of requests) {
    const context = request.context && Object.keys(request.context).length > 0 ? { context: request.context } : {};
    const call: ObservedCall = { function: fn, action: request.action, resource: request.resource, ...context };
    observed.set(keyOf(call), call);
  }
};

const MIDDLEWARE = 'jitRecordAwsCalls';
const instrumented = new WeakSet<object>();

interface Stack {
  add(middleware: unknown, options: { step: string; name: string; priority: string }): void;
}

/**
 * Every SDK v3 client extends one smithy Client class; its `send` is wrapped once per process so
 * each client's middleware stack gets the recorder before its first call (clients built anywhere:
 * the sandbox's, the fixtures', the production handlers').
 */
const installRecorder = (): void => {
  const base = Object.getPrototypeOf(DynamoDBClient.prototype) as {
    send: (this: { middlewareStack: Stack }, ...args: unknown[]) => unknown;
    [MIDDLEWARE]?: true;
  };
  if (base[MIDDLEWARE]) return;
  base[MIDDLEWARE] = true;
  const send = base.send;
  base.send = function (this: { middlewareStack: Stack }, ...args: unknown[]) {
    if (!instrumented.has(this.middlewareStack)) {
      instrumented.add(this.middlewareStack);
      this.middlewareStack.add(
        (next: (args: { input: Record<string, unknown> }) => unknown, context: Record<string, string>) =>
          async (args: { input: Record<string, unknown> }) => {
            const fn = invocation.getStore();
            if (fn !== undefined) record(fn, context.clientName ?? '?', context.commandName ?? '?', args.input);
            return next(args);
          },
        { step: 'initialize', name: MIDDLEWARE, priority: 'high' }
      );
    }
    return send.apply(this, args);
  };
};

/** Drops what was recorded for a function (a test's own probe, which no Lambda function makes). */
const forgetObservedCalls = (fn: string): void => {
  for (const [key, call] of observed) if (call.function === fn) observed.delete(key);
};

const observedCalls = (): ObservedCall[] => [...observed.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));

/** The calls each function makes, as test/deploy/awsCalls.json lists them. */
type AwsCallsFile = { readonly about?: string; readonly calls: Readonly<Record<string, readonly IamRequest[]>> };

const ABOUT =
  'Written by `npm run test:aws-calls` from the AWS calls each Lambda function made in the integration tier ' +
  '(test/helpers/awsCallRecorder.ts); test/deploy checks each against the deployed role. Do not edit by hand.';

const readAwsCallsFile = (file = AWS_CALLS_FILE): AwsCallsFile => JSON.parse(readFileSync(file, 'utf8'));

const toAwsCallsFile = (calls: readonly ObservedCall[]): AwsCallsFile => {
  const byFunction: Record<string, IamRequest[]> = {};
  const unique = new Map(calls.map((c) => [keyOf(c), c]));
  for (const call of [...unique.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)))) {
    const { function: fn, ...request } = call;
    byFunction[fn] ??= [];
    byFunction[fn].push(request);
  }
  return { about: ABOUT, calls: byFunction };
};

/** Observed calls the file does not list, each said so that whoever reads it knows what to do. */
const unlistedCalls = (calls: readonly ObservedCall[], file: AwsCallsFile): string[] => {
  const listed = new Set(
    Object.entries(file.calls).flatMap(([fn, requests]) => requests.map((r) => keyOf({ function: fn, ...r })))
  );
  return calls
    .filter((call) => !listed.has(keyOf(call)))
    .map(
      (call) =>
        `${call.function} calls ${call.action} on ${call.resource}${call.context ? ` with ${JSON.stringify(call.context)}` : ''}, ` +
        'which test/deploy/awsCalls.json does not list: run `npm run test:aws-calls` and commit the file ' +
        '(test/deploy then checks that the deployed role allows it)'
    );
};

/** Calls that could not be translated into IAM requests (a client or command nobody mapped). */
const recordingProblems = (): readonly string[] => problems;

export type { AwsCallsFile, ObservedCall };
export {
  AWS_CALLS_FILE,
  asFunction,
  forgetObservedCalls,
  installRecorder,
  observedCalls,
  readAwsCallsFile,
  recordingProblems,
  toAwsCallsFile,
  unlistedCalls,
};
