import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VendedCredentials } from '../../cli/api/brokerApi.js';
import { grantRequest } from '../helpers/apiServer.js';
import { finish } from '../helpers/finish.js';
import { callApi, cliEnvFor, interrupt, startSandboxProcess } from '../helpers/sandboxProcess.js';

const JIT = resolve('cli/bin/jit.mjs');

/**
 * The acceptance of issue #8 as a new user would try it: a few grants in the sandbox (one ended
 * early after real AWS calls through the printed endpoint, one break-glass, one repeated, one
 * denied), then `jit report` and `jit audit` show what happened.
 */
describe('audit and reports in the sandbox', () => {
  let sandbox: Awaited<ReturnType<typeof startSandboxProcess>>;
  const call = (user: string, method: string, path: string, body?: unknown) =>
    callApi(sandbox.ready, user, method, path, body);
  const jit = (user: string, ...args: string[]) => {
    const [command, ...rest] = args;
    return finish(
      spawn(process.execPath, [JIT, command as string, '--as', user, ...rest], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...cliEnvFor(sandbox) },
      })
    );
  };
  const approvedGrant = async (requester: string) => {
    const created = await call(requester, 'POST', '/grants', grantRequest());
    expect((await call('bob', 'POST', `/grants/${created.body.id}/approve`)).status).toBe(200);
    return created.body.id as string;
  };

  let usedId: string;

  beforeAll(async () => {
    sandbox = await startSandboxProcess(['--in-memory']);
    expect(sandbox.ready.access).toBe('emulator');
    // alice: a grant she uses through the sandbox's AWS endpoint, then ends early.
    usedId = await approvedGrant('alice');
    const vended = (await call('alice', 'POST', `/grants/${usedId}/credentials`)).body as unknown as VendedCredentials;
    const clientConfig = {
      region: 'us-east-1',
      endpoint: sandbox.ready.awsEndpoint as string,
      credentials: {
        accessKeyId: vended.AccessKeyId,
        secretAccessKey: vended.SecretAccessKey,
        sessionToken: vended.SessionToken,
      },
    };
    const sts = new STSClient(clientConfig);
    const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
    try {
      await sts.send(new GetCallerIdentityCommand({}));
      await sts.send(new GetCallerIdentityCommand({}));
      // Outside the task's scope (s3:ListBucket): refused with AccessDenied, and still recorded as an attempt.
      await s3.send(new ListObjectsV2Command({ Bucket: 'example-bucket' })).catch(() => undefined);
    } finally {
      sts.destroy();
      s3.destroy();
    }
    expect((await call('alice', 'POST', `/grants/${usedId}/done`)).status).toBe(200);
    // alice again, twice more: a repeated elevation.
    await approvedGrant('alice');
    await approvedGrant('alice');
    // carol breaks glass on prod-admin for an incident.
    const glass = await call('carol', 'POST', '/grants', {
      ...grantRequest({ role: 'prod-admin', breakGlass: true, ticket: 'INC-4711', durationSeconds: 900 }),
      scope: { actions: ['ec2:RebootInstances'], resources: ['*'] },
    });
    expect(glass.status).toBe(201);
    // erin asks for prod-admin without a ticket: the policies refuse.
    expect((await call('erin', 'POST', '/grants', grantRequest({ role: 'prod-admin' }))).status).toBe(403);
  }, 120_000);

  afterAll(async () => {
    if (sandbox) await interrupt(sandbox.child);
  });

  it('jit audit shows the chain, then the calls made through the sandbox endpoint', async () => {
    const audit = await jit('alice', 'audit', usedId);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).toContain('chain intact');
    expect(audit.stdout).toContain('grant.activated');
    expect(audit.stdout).toContain('grant.ended');
    expect(audit.stdout).toMatch(/activity \(recorded\): 3 calls/);
    expect(audit.stdout).toMatch(/2 {2}sts:GetCallerIdentity/);
    expect(audit.stdout).toMatch(/1 {2}s3:ListBucket/);
    const json = JSON.parse((await jit('alice', 'audit', usedId, '--json')).stdout);
    expect(json.activity).toMatchObject({ calls: 3, afterEndCount: 0 });
  });

  it('jit report shows width, reuse, exceptions and time to kill that match what happened', async () => {
    const answer = await jit('dave', 'report', '--since', '1d', '--reuse-threshold', '3', '--json');
    expect(answer.code, answer.stderr).toBe(0);
    const reports = JSON.parse(answer.stdout).reports as {
      kind: string;
      rows: Record<string, unknown>[];
      summary: Record<string, unknown>;
      hints: string[];
    }[];
    const report = (kind: string) => reports.find((r) => r.kind === kind)!;
    expect(report('width').rows.find((r) => r.grantId === usedId)).toMatchObject({
      granted: 1,
      used: 0,
      usedOutsideScope: 2,
    });
    expect(report('reuse').hints).toContainEqual(
      expect.stringMatching(/^alice elevated to prod-read 3 times in 1 day: consider a standing narrow role/)
    );
    expect(report('exceptions').summary).toMatchObject({ breakGlass: 1, breakGlassUnreviewed: 1, denials: 1 });
    expect(report('exceptions').rows.find((r) => r.kind === 'break-glass')).toMatchObject({
      requester: 'carol',
      role: 'prod-admin',
    });
    const ended = report('time-to-kill').rows.find((r) => r.grantId === usedId);
    expect(ended).toMatchObject({ endedBy: 'ended', kill: 'applied' });
    expect(ended?.secondsToKill).toBeGreaterThanOrEqual(0);
    expect(ended?.secondsReturned).toBeGreaterThan(0);
    expect(report('after-end').rows).toEqual([]);

    const table = await jit('dave', 'report', 'reuse', '--since', '1d', '--reuse-threshold', '3');
    expect(table.stdout).toContain('hint: alice elevated to prod-read 3 times');
    const csv = await jit('dave', 'report', 'exceptions', '--since', '1d', '--format', 'csv');
    expect(csv.stdout.split('\n')[0]).toBe('report,kind,at,grantId,requester,role,detail');
    expect((await jit('alice', 'report')).code).toBe(2);
  });
});
