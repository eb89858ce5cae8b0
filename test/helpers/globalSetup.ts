import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildCli } from '../../cli/build.js';
import { startDynamoLocal } from '../../sandbox/dynamoLocal.js';
import { AWS_CALLS_FILE, type ObservedCall, toAwsCallsFile } from './awsCallRecorder.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    /** Where test files leave the AWS calls they observed, when this run writes awsCalls.json; else ''. */
    awsCallsDir: string;
  }
}

/**
 * One DynamoDB Local for the whole run; each test file makes its own table in it. The CLI is built
 * first, so every test that runs `jit` runs the built file users get, never a stale one. With
 * JIT_RECORD_AWS_CALLS=write (`npm run test:aws-calls`), the AWS calls every file observed become
 * test/deploy/awsCalls.json at the end of the run.
 */
export default async function setup(project: TestProject) {
  await buildCli();
  const dynamo = await startDynamoLocal();
  project.provide('dynamoEndpoint', dynamo.endpoint);
  const writing = process.env.JIT_RECORD_AWS_CALLS === 'write';
  const collected = writing ? mkdtempSync(join(tmpdir(), 'jit-aws-calls-')) : '';
  project.provide('awsCallsDir', collected);
  return async () => {
    await dynamo.stop();
    if (!writing) return;
    const calls = readdirSync(collected).flatMap(
      (file) => JSON.parse(readFileSync(join(collected, file), 'utf8')) as ObservedCall[]
    );
    rmSync(collected, { recursive: true, force: true });
    writeFileSync(AWS_CALLS_FILE, `${JSON.stringify(toAwsCallsFile(calls), null, 2)}\n`);
    execFileSync(join('node_modules', '.bin', 'biome'), ['format', '--write', AWS_CALLS_FILE], { stdio: 'ignore' });
    process.stdout.write(`wrote ${calls.length} observed AWS calls to ${AWS_CALLS_FILE}\n`);
  };
}
