/**
 * What the sandbox's IAM enforcement costs per call, measured in one run on moto_server: the same
 * S3 GetObject, signed with a vended key, sent to moto directly, through the recording proxy
 * without enforcement, through it with enforcement (role policies cached, as the sandbox runs),
 * and with enforcement re-reading the role's policies on every call (the worst case, once per TTL).
 * Rounds alternate the four so machine noise hits them alike.
 *
 *   npm run bench:sandbox            (needs moto_server; BENCH_ROUNDS to change the size)
 */
import { performance } from 'node:perf_hooks';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { StsCredentialIssuer } from '../functions/adapters/aws/stsCredentialIssuer.js';
import { jsonLogger } from '../functions/adapters/jsonLogger.js';
import { loadConfig } from '../functions/config/loadConfig.js';
import { renderSessionPolicy } from '../functions/domain/sessionPolicy.js';
import type { IssuedCredentials } from '../functions/ports.js';
import { EXAMPLE_OBJECT, seedExampleData } from '../sandbox/exampleData.js';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../sandbox/localAws.js';
import { localIamClient, localS3Client, localStsClient } from '../sandbox/localAwsClients.js';
import { startMotoServer } from '../sandbox/motoServer.js';
import { startRecordingProxy } from '../sandbox/recordingProxy.js';
import { type Enforce, sandboxIam } from '../sandbox/sandboxIam.js';
import { ensureTargetRoles } from '../sandbox/targetRoles.js';
import { rememberingVends, type VendedSessions } from '../sandbox/vendedSessions.js';
import { summary } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const WARMUP = 20;

const main = async () => {
  const config = await loadConfig('config');
  const moto = await startMotoServer();
  const stops: (() => Promise<void> | void)[] = [() => moto.stop()];
  try {
    const iam = localIamClient(moto.endpoint);
    const sts = localStsClient(moto.endpoint);
    stops.push(
      () => iam.destroy(),
      () => sts.destroy()
    );
    await ensureTargetRoles(iam, [...config.catalog.roles.values()], 'arn:aws:iam::123456789012:role/jit-broker');
    const seed = localS3Client(moto.endpoint);
    await seedExampleData(seed).finally(() => seed.destroy());
    const vends = rememberingVends(new StsCredentialIssuer(sts), () => new Date());
    const role = config.catalog.roles.get('prod-read');
    if (role === undefined) throw new Error('the example catalog has no prod-read');
    const session: IssuedCredentials = await vends.issuer.issue({
      roleArn: role.roleArn,
      sessionName: 'bench.g-01jbench000000000000000000',
      sourceIdentity: 'g-01jbench000000000000000000',
      tags: { 'jit-grant-id': 'g-01jbench000000000000000000' },
      policy: renderSessionPolicy({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::example-bucket/*'] }),
      durationSeconds: 3600,
    });

    const proxyWith = async (sessions: VendedSessions, enforce?: Enforce) => {
      const proxy = await startRecordingProxy({
        target: moto.endpoint,
        sessions,
        resources: { account: LOCAL_ACCOUNT, roleArnByName: new Map() },
        ...(enforce ? { enforce } : {}),
        record: async () => undefined,
        now: () => new Date(),
        logger: jsonLogger('silent'),
      });
      stops.push(() => proxy.stop());
      return proxy.endpoint;
    };
    const endpoints = {
      moto: moto.endpoint,
      recording: await proxyWith(vends.sessions),
      enforcing: await proxyWith(vends.sessions, sandboxIam({ iam, now: () => new Date() })),
      rereading: await proxyWith(vends.sessions, sandboxIam({ iam, now: () => new Date(), ttlMs: 0 })),
    };
    const clients = Object.fromEntries(
      Object.entries(endpoints).map(([name, endpoint]) => {
        const client = new S3Client({
          endpoint,
          region: LOCAL_REGION,
          forcePathStyle: true,
          credentials: {
            accessKeyId: session.accessKeyId,
            secretAccessKey: session.secretAccessKey,
            sessionToken: session.sessionToken,
          },
        });
        stops.push(() => client.destroy());
        return [name, client];
      })
    ) as Record<keyof typeof endpoints, S3Client>;
    const get = async (client: S3Client) => {
      const start = performance.now();
      const answer = await client.send(
        new GetObjectCommand({ Bucket: EXAMPLE_OBJECT.bucket, Key: EXAMPLE_OBJECT.key })
      );
      await answer.Body?.transformToString();
      return performance.now() - start;
    };

    const samples: Record<keyof typeof endpoints, number[]> = { moto: [], recording: [], enforcing: [], rereading: [] };
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      for (const name of Object.keys(samples) as (keyof typeof endpoints)[]) {
        const ms = await get(clients[name]);
        if (round >= WARMUP) samples[name].push(ms);
      }
    }
    const moto_ = summary(samples.moto);
    const recording = summary(samples.recording);
    const enforcing = summary(samples.enforcing);
    const rereading = summary(samples.rereading);
    const row = (name: string, s: { median: number; p95: number }) =>
      `${name.padEnd(44)} ${s.median.toFixed(2).padStart(7)} ms  ${s.p95.toFixed(2).padStart(7)} ms  ${(s.median / moto_.median).toFixed(2).padStart(5)}×`;
    console.log(`S3 GetObject with a vended key, ${ROUNDS} rounds (median, p95, ratio to moto direct)`);
    console.log(row('moto_server directly', moto_));
    console.log(row('recording proxy, no enforcement', recording));
    console.log(row('recording proxy + IAM (policies cached)', enforcing));
    console.log(row('recording proxy + IAM (policies re-read)', rereading));
    console.log(
      `IAM enforcement adds ${(enforcing.median - recording.median).toFixed(2)} ms per call (median) with the role's ` +
        `policies cached; a re-read (once per role per second) costs ${(rereading.median - recording.median).toFixed(2)} ms`
    );
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
};

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
