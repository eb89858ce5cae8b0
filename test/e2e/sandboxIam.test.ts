import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VendedCredentials } from '../../cli/api/brokerApi.js';
import { grantPk } from '../../functions/adapters/aws/grantItems.js';
import { EXAMPLE_OBJECT } from '../../sandbox/exampleData.js';
import { localDynamo } from '../../sandbox/localAws.js';
import { ROLE_POLICIES_TTL_MS } from '../../sandbox/sandboxIam.js';
import { grantRequest } from '../helpers/apiServer.js';
import { finish } from '../helpers/finish.js';
import { callApi, cliEnvFor, interrupt, startSandboxProcess } from '../helpers/sandboxProcess.js';

/** Debian's AWS CLI v2 (installed by .ci/run); the `aws` first on PATH may be an older v1. */
const AWS_CLI = '/usr/bin/aws';
const JIT = resolve('cli/bin/jit.mjs');

/**
 * The README's walkthrough as a new user runs it: a grant for one bucket's objects, the real AWS
 * CLI against the sandbox's printed endpoint — in scope works, out of scope is refused while the
 * grant lives, everything is refused after `done` — and the refused calls in the grant's activity.
 */
describe('the sandbox enforces IAM on vended keys, through the real AWS CLI', () => {
  const home = mkdtempSync(join(tmpdir(), 'jit-sandbox-iam-'));
  let sandbox: Awaited<ReturnType<typeof startSandboxProcess>>;
  let id: string;
  let env: NodeJS.ProcessEnv;
  let assumedRole: string;

  const call = (user: string, method: string, path: string, body?: unknown) =>
    callApi(sandbox.ready, user, method, path, body);
  const aws = (...args: string[]) =>
    finish(
      spawn(AWS_CLI, [...args, '--endpoint-url', sandbox.ready.awsEndpoint as string], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
      })
    );
  /** The README's in-scope call: the example object into report.csv. */
  const getReport = () =>
    aws(
      's3api',
      'get-object',
      '--bucket',
      EXAMPLE_OBJECT.bucket,
      '--key',
      EXAMPLE_OBJECT.key,
      join(home, 'report.csv')
    );
  const denied = (operation: string, code = 'AccessDenied') =>
    `An error occurred (${code}) when calling the ${operation} operation: User: ${assumedRole} is not authorized to perform: `;

  beforeAll(async () => {
    sandbox = await startSandboxProcess(['--in-memory']);
    expect(sandbox.ready.access).toBe('emulator');
    id = (await call('alice', 'POST', '/grants', grantRequest())).body.id as string;
    expect((await call('bob', 'POST', `/grants/${id}/approve`)).status).toBe(200);
    const vended = (await call('alice', 'POST', `/grants/${id}/credentials`)).body as unknown as VendedCredentials;
    assumedRole = `arn:aws:sts::123456789012:assumed-role/prod-read/alice.${id}`;
    env = {
      PATH: process.env.PATH,
      HOME: home,
      AWS_CONFIG_FILE: join(home, 'aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials'),
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: vended.AccessKeyId,
      AWS_SECRET_ACCESS_KEY: vended.SecretAccessKey,
      AWS_SESSION_TOKEN: vended.SessionToken,
    };
  }, 90_000);

  afterAll(async () => {
    if (sandbox) await interrupt(sandbox.child);
    rmSync(home, { recursive: true, force: true });
  });

  it('in scope works, out of scope is refused while the grant lives, everything is refused after done', {
    timeout: 120_000,
  }, async () => {
    const read = await getReport();
    expect(read.code, read.stderr).toBe(0);
    expect(readFileSync(join(home, 'report.csv'), 'utf8')).toBe(EXAMPLE_OBJECT.body);
    const copied = await aws('s3', 'cp', `s3://${EXAMPLE_OBJECT.bucket}/${EXAMPLE_OBJECT.key}`, '-');
    expect(copied.code, copied.stderr).toBe(0);
    expect(copied.stdout).toBe(EXAMPLE_OBJECT.body);

    const listed = await aws('s3', 'ls');
    expect(listed.code).toBe(254);
    expect(listed.stderr).toContain(
      `${denied('ListBuckets')}s3:ListAllMyBuckets because no identity-based policy allows the s3:ListAllMyBuckets action`
    );
    const bucket = await aws('s3', 'ls', `s3://${EXAMPLE_OBJECT.bucket}`);
    expect(bucket.stderr).toContain(
      `${denied('ListObjectsV2')}s3:ListBucket on resource: "arn:aws:s3:::${EXAMPLE_OBJECT.bucket}" because no session policy allows the s3:ListBucket action`
    );
    expect((await aws('iam', 'list-roles')).stderr).toContain(`${denied('ListRoles')}iam:ListRoles because no`);

    expect((await call('alice', 'POST', `/grants/${id}/done`)).status).toBe(200);
    // The sandbox re-reads the role's policies this often (its stand-in for IAM propagation).
    await new Promise((r) => setTimeout(r, ROLE_POLICIES_TTL_MS + 200));

    const killed = 'with an explicit deny in an identity-based policy';
    const after = await getReport();
    expect(after.code).toBe(254);
    expect(after.stderr).toContain(
      `${denied('GetObject')}s3:GetObject on resource: "arn:aws:s3:::${EXAMPLE_OBJECT.bucket}/${EXAMPLE_OBJECT.key}" ${killed}`
    );
    expect((await aws('s3', 'ls')).stderr).toContain(`${denied('ListBuckets')}s3:ListAllMyBuckets ${killed}`);
    expect((await aws('iam', 'list-roles')).stderr).toContain(`${denied('ListRoles')}iam:ListRoles ${killed}`);
    const item = await aws('dynamodb', 'get-item', '--table-name', 'orders', '--key', '{"id":{"S":"1"}}');
    expect(item.stderr).toContain(
      `${denied('GetItem', 'AccessDeniedException')}dynamodb:GetItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/orders ${killed}`
    );
    // No IAM policy can deny GetCallerIdentity, in AWS or here.
    const who = await aws('sts', 'get-caller-identity');
    expect(who.code, who.stderr).toBe(0);
    expect(JSON.parse(who.stdout).Arn).toBe(assumedRole);
  });

  it('the grant’s recorded activity holds every refused call with the error code CloudTrail logs', async () => {
    const dynamo = localDynamo(sandbox.ready.dynamodb);
    try {
      const { Items } = await dynamo.send(
        new QueryCommand({
          TableName: sandbox.ready.table,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :use)',
          ExpressionAttributeValues: { ':pk': { S: grantPk(id) }, ':use': { S: 'USE#' } },
        })
      );
      // Each refused call is recorded one by one (a call that only counts is tallied: the audit below counts it).
      const refused = (Items ?? [])
        .map((item) => unmarshall(item) as { action: string; at: string; errorCode?: string })
        .filter((u) => u.errorCode !== undefined)
        .sort((a, b) => a.at.localeCompare(b.at))
        .map((u) => [u.action, u.errorCode]);
      expect(refused).toEqual([
        ['s3:ListAllMyBuckets', 'AccessDenied'],
        ['s3:ListBucket', 'AccessDenied'],
        ['iam:ListRoles', 'AccessDenied'],
        ['s3:GetObject', 'AccessDenied'],
        ['s3:ListAllMyBuckets', 'AccessDenied'],
        ['iam:ListRoles', 'AccessDenied'],
        ['dynamodb:GetItem', 'AccessDeniedException'],
      ]);
    } finally {
      dynamo.destroy();
    }
    const audit = await finish(
      spawn(process.execPath, [JIT, 'audit', id, '--as', 'alice', '--json'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH, HOME: home, ...cliEnvFor(sandbox) },
      })
    );
    expect(audit.code, audit.stderr).toBe(0);
    expect(JSON.parse(audit.stdout).activity).toMatchObject({
      calls: 11,
      actions: { 's3:GetObject': 4, 's3:ListAllMyBuckets': 2, 'iam:ListRoles': 2, 'dynamodb:GetItem': 1 },
    });
    // The calls AWS refused after done show the kill held, with the time it took to take hold.
    const kill = JSON.parse(audit.stdout).activity.kill as { verdict: string; propagationSeconds: number | null };
    expect(kill.verdict).toBe('held');
    expect(kill.propagationSeconds).toBeGreaterThanOrEqual(0);
    expect(kill.propagationSeconds).toBeLessThan(30);
  });
});
