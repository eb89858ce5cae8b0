import type { TestProject } from 'vitest/node';
import { buildCli } from '../../cli/build.js';
import { startDynamoLocal } from '../../sandbox/dynamoLocal.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

/**
 * One DynamoDB Local for the whole run; each test file makes its own table in it. The CLI is built
 * first, so every test that runs `jit` runs the built file users get, never a stale one.
 */
export default async function setup(project: TestProject) {
  await buildCli();
  const dynamo = await startDynamoLocal();
  project.provide('dynamoEndpoint', dynamo.endpoint);
  return async () => {
    await dynamo.stop();
  };
}
