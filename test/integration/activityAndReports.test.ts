import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudTrailActivityLookup } from '../../functions/adapters/aws/cloudTrailActivityLookup.js';
import { recordActivity } from '../../functions/app/recordActivity.js';
import type { CloudTrailRecord } from '../../functions/domain/activity.js';
import { grantRequest, startApi } from '../helpers/apiServer.js';
import { asFunction } from '../helpers/awsCallRecorder.js';
import { assumedRoleCall, callerIdentityCall } from '../helpers/cloudTrailRecords.js';
import { brokerOnFreshTable, manualClock } from '../helpers/fixtures.js';

/** The recorder, the audit view and the reports against DynamoDB Local, through the HTTP API. */
describe('grant activity and effectiveness reports', () => {
  // Monday 10:00 in Berlin: business hours for the example policies.
  const clock = manualClock(new Date('2026-11-23T09:00:00.000Z'));
  let broker: Awaited<ReturnType<typeof brokerOnFreshTable>>;
  let api: Awaited<ReturnType<typeof startApi>>;

  let vendedId: string;

  beforeAll(async () => {
    // STS stand-in: vending records the access key id the CloudTrail lookup then asks for.
    const refuse = async (): Promise<never> => {
      throw new Error('not in this test');
    };
    broker = await brokerOnFreshTable({
      clock,
      access: {
        credentials: {
          issue: async (request) => ({
            accessKeyId: 'ASIAVENDED0000000001',
            secretAccessKey: 'secret',
            sessionToken: 'token',
            expiration: new Date(clock.now().getTime() + request.durationSeconds * 1000),
            assumedRoleArn: `arn:aws:sts::123456789012:assumed-role/prod-read/${request.sessionName}`,
          }),
        },
        rolePolicies: { list: refuse, put: refuse, delete: refuse },
        expiry: { schedule: async () => {}, cancel: async () => {} },
      },
    });
    api = await startApi(broker.deps);
    const { body } = await api.as('erin').post('/grants', grantRequest());
    await api.as('bob').post(`/grants/${body.id}/approve`);
    expect((await api.as('erin').post(`/grants/${body.id}/credentials`)).status).toBe(200);
    vendedId = body.id;
  });
  afterAll(async () => {
    await api.close();
    await broker.dispose();
  });

  const approved = async (requester = 'alice'): Promise<string> => {
    const { body } = await api.as(requester).post('/grants', grantRequest());
    expect((await api.as('bob').post(`/grants/${body.id}/approve`)).status).toBe(200);
    return body.id;
  };
  /** What the recordActivity function does with one CloudTrail event. */
  const record = (event: CloudTrailRecord) => asFunction('recordActivity', () => recordActivity(broker.deps, event));
  const call = (grantId: string, eventId: string, at: string, eventName = 'GetObject'): CloudTrailRecord =>
    assumedRoleCall({ eventId, at, sourceIdentity: grantId, eventName, accessKeyId: 'ASIAEXAMPLEKEY000001' });

  it('records each CloudTrail event once, counts per action, and keeps first and last use', async () => {
    const id = await approved();
    expect(await record(call(id, 'ev-1', '2026-11-23T09:05:00Z'))).toBe('recorded');
    expect(await record(call(id, 'ev-1', '2026-11-23T09:05:00Z'))).toBe('duplicate');
    expect(await record(call(id, 'ev-3', '2026-11-23T09:20:00Z', 'ListBucket'))).toBe('recorded');
    // Out of order: an earlier call delivered last still moves firstUsedAt back.
    expect(await record(call(id, 'ev-2', '2026-11-23T09:02:00Z'))).toBe('recorded');
    const audit = await api.as('alice').get(`/grants/${id}/audit`);
    expect(audit.status).toBe(200);
    expect(audit.body.activity).toEqual({
      source: 'recorder',
      actions: { 's3:GetObject': 2, 's3:ListBucket': 1 },
      calls: 3,
      firstUsedAt: '2026-11-23T09:02:00.000Z',
      lastUsedAt: '2026-11-23T09:20:00.000Z',
      afterEndCount: 0,
      afterEnd: [],
      afterEndOutcomes: { refused: 0, succeeded: 0, failed: 0, undeniable: 0 },
      refusedWhileLive: 0,
    });
    // Existing consumers keep what they read before.
    expect(audit.body).toMatchObject({ grantId: id, chain: { valid: true } });
    expect(audit.body.events.length).toBeGreaterThan(0);
  });

  it('ignores calls of other sessions and of grants it does not know', async () => {
    const other = assumedRoleCall({ eventId: 'x-1', at: '2026-11-23T09:05:00Z', sourceIdentity: 'alice@example.com' });
    expect(await record(other)).toBe('not-a-grant');
    const unknown = call('g-0000000000zzzzzzzzzzzzzzzz', 'x-2', '2026-11-23T09:05:00Z');
    expect(await record(unknown)).toBe('unknown-grant');
  });

  it('ignores a session of another role that names a grant id as its source identity (spoofing)', async () => {
    const id = await approved('erin');
    const spoofed = assumedRoleCall({
      eventId: 's-1',
      at: '2026-11-23T09:05:00Z',
      sourceIdentity: id,
      roleName: 'my-own-role',
    });
    expect(await record(spoofed)).toBe('other-role');
    expect((await api.as('erin').get(`/grants/${id}/audit`)).body.activity.calls).toBe(0);
  });

  it('alerts once on a call AWS let through after the end (beyond the grace), not on refused or undeniable ones', async () => {
    const id = await approved();
    clock.advance(600);
    expect((await api.as('dave').post(`/grants/${id}/revoke`, { reason: 'task finished elsewhere' })).status).toBe(200);
    const endedAt = clock.now().getTime();
    const secondsAfterEnd = (s: number) => new Date(endedAt + s * 1000).toISOString();
    await record(call(id, 'late-0', secondsAfterEnd(30)));
    await record(call(id, 'late-1', secondsAfterEnd(300)));
    await record(call(id, 'late-1', secondsAfterEnd(300)));
    const refused = assumedRoleCall({
      eventId: 'late-2',
      at: secondsAfterEnd(310),
      sourceIdentity: id,
      errorCode: 'AccessDenied',
    });
    await record(refused);
    const whoAmI = callerIdentityCall({ eventId: 'late-3', at: secondsAfterEnd(320), sourceIdentity: id });
    await record(whoAmI);
    const alerts = broker.logLines.filter((l) => l.includes('"alert":"used-after-end"') && l.includes(id));
    expect(alerts).toHaveLength(1);
    // Never vended: no kill was needed, so none was in force.
    expect(JSON.parse(alerts[0] as string)).toMatchObject({ eventId: 'late-1', lateSuccess: 'kill-not-in-force' });
    const { body } = await api.as('alice').get(`/grants/${id}/audit`);
    expect(body.activity.calls).toBe(4);
    expect(body.activity.afterEndCount).toBe(3);
    expect(body.activity.afterEndOutcomes).toEqual({ refused: 1, succeeded: 1, failed: 0, undeniable: 1 });
    expect(body.activity.afterEnd).toEqual([
      { eventId: 'late-1', action: 's3:GetObject', at: secondsAfterEnd(300), outcome: 'succeeded' },
      {
        eventId: 'late-2',
        action: 's3:GetObject',
        at: secondsAfterEnd(310),
        errorCode: 'AccessDenied',
        outcome: 'refused',
      },
      { eventId: 'late-3', action: 'sts:GetCallerIdentity', at: secondsAfterEnd(320), outcome: 'undeniable' },
    ]);
    expect(body.activity.kill).toMatchObject({ verdict: 'not-needed', appliedAt: null });
  });

  it('answers an empty CloudTrail view for a grant that never vended, and refuses unknown lookups', async () => {
    const id = await approved();
    const answer = await api.as('alice').get(`/grants/${id}/audit?lookup=cloudtrail`);
    expect(answer.status).toBe(200);
    expect(answer.body.cloudTrail).toMatchObject({ source: 'cloudtrail-lookup', accessKeyIds: [], calls: 0 });
    expect((await api.as('alice').get(`/grants/${id}/audit?lookup=everything`)).status).toBe(400);
  });

  it('looks the vended access keys up in CloudTrail on demand, and says so when it cannot', async () => {
    const unavailable = await api.as('erin').get(`/grants/${vendedId}/audit?lookup=cloudtrail`);
    expect(unavailable.status).toBe(503);
    expect(unavailable.body.error.code).toBe('CLOUDTRAIL_UNAVAILABLE');
    const asked: string[][] = [];
    const withCloudTrail = await startApi({
      ...broker.deps,
      activityLookup: {
        lookup: async (keys) => {
          asked.push([...keys]);
          return [
            call(vendedId, 'ct-1', '2026-11-23T09:12:00Z', 'ListBucket'),
            call('g-0000000000zzzzzzzzzzzzzzzz', 'ct-2', '2026-11-23T09:12:00Z'),
          ];
        },
      },
    });
    try {
      const { body } = await withCloudTrail.as('erin').get(`/grants/${vendedId}/audit?lookup=cloudtrail`);
      expect(asked).toEqual([['ASIAVENDED0000000001']]);
      expect(body.cloudTrail).toMatchObject({
        accessKeyIds: ['ASIAVENDED0000000001'],
        actions: { 's3:ListBucket': 1 },
        calls: 1,
      });
      expect(body.activity.source).toBe('recorder');
    } finally {
      await withCloudTrail.close();
    }
  });

  it('looks the keys up through CloudTrail’s own API (LookupEvents, one access key at a time)', async () => {
    const asked: unknown[] = [];
    // CloudTrail's wire protocol (JSON 1.1), answered by a stand-in: the emulator has no LookupEvents.
    const cloudTrail = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        asked.push({ target: req.headers['x-amz-target'], ...JSON.parse(body) });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        const record = call(vendedId, 'ct-wire', '2026-11-23T09:13:00Z', 'ListBucket');
        res.end(JSON.stringify({ Events: [{ EventId: 'ct-wire', CloudTrailEvent: JSON.stringify(record) }] }));
      });
    });
    await new Promise<void>((resolve) => cloudTrail.listen(0, '127.0.0.1', resolve));
    const client = new CloudTrailClient({
      endpoint: `http://127.0.0.1:${(cloudTrail.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const withCloudTrail = await startApi({ ...broker.deps, activityLookup: new CloudTrailActivityLookup(client) });
    try {
      const { status, body } = await withCloudTrail.as('erin').get(`/grants/${vendedId}/audit?lookup=cloudtrail`);
      expect(status).toBe(200);
      expect(body.cloudTrail).toMatchObject({ accessKeyIds: ['ASIAVENDED0000000001'], calls: 1 });
      expect(asked).toMatchObject([
        {
          target: 'CloudTrail_20131101.LookupEvents',
          LookupAttributes: [{ AttributeKey: 'AccessKeyId', AttributeValue: 'ASIAVENDED0000000001' }],
        },
      ]);
    } finally {
      await withCloudTrail.close();
      client.destroy();
      cloudTrail.close();
    }
  });

  it('lets only security read reports', async () => {
    for (const user of ['alice', 'bob', 'carol']) {
      const answer = await api.as(user).get('/reports/summary');
      expect(answer.status, user).toBe(403);
      expect(answer.body.error.code).toBe('NOT_SECURITY');
    }
  });

  it('rejects an unknown kind and a bad period with what to fix', async () => {
    const unknown = await api.as('dave').get('/reports/everything');
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain('reports: summary, width');
    const backwards = await api.as('dave').get('/reports/width?from=2026-11-23&to=2026-11-01');
    expect(backwards.status).toBe(400);
    expect((await api.as('dave').get('/reports/width?from=last-week')).status).toBe(400);
    expect((await api.as('dave').get('/reports/reuse?reuseThreshold=1')).status).toBe(400);
  });

  it('reports what happened: width, after-end, reuse with a hint, exceptions with the policy denial', async () => {
    // A denied request (prod-admin without a ticket) leaves a denial record.
    expect((await api.as('erin').post('/grants', grantRequest({ role: 'prod-admin' }))).status).toBe(403);
    const { body } = await api.as('dave').get('/reports/summary?reuseThreshold=3');
    const report = (kind: string) => body.reports.find((r: { kind: string }) => r.kind === kind);
    // alice got three grants on prod-read above.
    expect(report('reuse').rows[0]).toMatchObject({
      requester: 'alice',
      role: 'prod-read',
      elevations: 3,
      redesign: true,
    });
    expect(report('reuse').hints[0]).toMatch(
      /^alice elevated to prod-read 3 times in 30 days: consider a standing narrow role/
    );
    // Five grants got access (alice's three, erin's two). Each scope is s3:GetObject: alice's first
    // and the revoked one used it; the first's s3:ListBucket was outside its scope.
    expect(report('width').summary).toMatchObject({ grants: 5, used: 2 });
    expect(report('after-end').summary).toEqual({
      grants: 1,
      calls: 3,
      refused: 1,
      succeeded: 1,
      failed: 0,
      undeniable: 1,
      grantsWithSuccess: 1,
    });
    expect(report('exceptions').summary).toMatchObject({ overrides: 1, denials: 1, breakGlass: 0 });
    const denial = report('exceptions').rows.find((r: { grantId: string | null }) => r.grantId === null);
    expect(denial).toMatchObject({ requester: 'erin', role: 'prod-admin', kind: 'denial' });
  });

  it('leaves out what happened before the period', async () => {
    const { body } = await api.as('dave').get('/reports/reuse?from=2026-11-24T00:00:00Z&to=2026-11-25T00:00:00Z');
    expect(body.rows).toEqual([]);
  });
});
