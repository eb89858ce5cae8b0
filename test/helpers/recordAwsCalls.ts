import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, inject } from 'vitest';
import {
  installRecorder,
  observedCalls,
  readAwsCallsFile,
  recordingProblems,
  unlistedCalls,
} from './awsCallRecorder.js';

/**
 * Set up for every test file (vitest setupFiles): records the AWS calls code makes as a Lambda
 * function (awsCallRecorder.ts). After the file, each call must be listed in test/deploy/awsCalls.json;
 * when the run writes that file (`npm run test:aws-calls`), the calls go to globalSetup instead.
 */
installRecorder();

afterAll(() => {
  const problems = recordingProblems();
  if (problems.length > 0) throw new Error(problems.join('\n'));
  const calls = observedCalls();
  if (calls.length === 0) return;
  const collect = inject('awsCallsDir');
  if (collect) {
    writeFileSync(join(collect, `${randomUUID()}.json`), JSON.stringify(calls));
    return;
  }
  const unlisted = unlistedCalls(calls, readAwsCallsFile());
  if (unlisted.length > 0) throw new Error(unlisted.join('\n'));
});
