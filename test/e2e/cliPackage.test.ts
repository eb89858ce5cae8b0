import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_SIDE } from '../../cli/build.js';
import cliPackage from '../../cli/package/package.json' with { type: 'json' };
import { PROD_READ_REQUEST } from '../helpers/cliArgs.js';
import { type EmulatedBroker, emulatedBroker } from '../helpers/emulatedBroker.js';
import { finish } from '../helpers/finish.js';
import { installPackedCli, type PackedCli } from '../helpers/packedCli.js';

const MAX_INSTALLED_BYTES = 10 * 1024 * 1024;

/** A certificate for 127.0.0.2 (an https broker that is not "the loopback sandbox" to the CLI). */
const selfSignedCertificate = async (dir: string) => {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const made = await finish(
    spawn('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=jit-test-broker',
      '-addext',
      'subjectAltName=IP:127.0.0.2',
    ])
  );
  if (made.code !== 0) throw new Error(`openssl could not make a test certificate: ${made.stderr}`);
  return { key: readFileSync(key), cert: readFileSync(cert), certPath: cert };
};

describe('the CLI as npm packs and installs it', () => {
  const home = mkdtempSync(join(tmpdir(), 'jit-package-e2e-'));
  let packed: PackedCli;

  beforeAll(async () => {
    packed = await installPackedCli();
  }, 180_000);

  afterAll(() => {
    packed?.remove();
    rmSync(home, { recursive: true, force: true });
  });

  /** The installed `jit`, with nothing of this machine's AWS or jit configuration. */
  const jit = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
    finish(
      spawn(packed.bin, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: {
          PATH: process.env.PATH,
          HOME: home,
          XDG_CACHE_HOME: join(home, 'cache'),
          XDG_CONFIG_HOME: join(home, 'config'),
          AWS_CONFIG_FILE: join(home, 'aws-config'),
          AWS_SHARED_CREDENTIALS_FILE: join(home, 'aws-credentials'),
          ...env,
        },
      })
    );

  it('is three prebuilt files, their licences and the manifest: no TypeScript, no dependencies, under 10 MB', () => {
    expect(packed.tarball).toMatch(/jit-broker-cli-\d+\.\d+\.\d+\.tgz$/);
    expect(Object.keys(packed.files).sort()).toEqual([
      'README.md',
      'THIRD-PARTY-LICENSES.txt',
      'aws-signing.cjs',
      'jit-main.cjs',
      'jit.cjs',
      'package.json',
    ]);
    const installed = Object.values(packed.files).reduce((sum, bytes) => sum + bytes, 0);
    expect(installed).toBeLessThan(MAX_INSTALLED_BYTES);
    const manifest = JSON.parse(readFileSync(join(packed.packageDir, 'package.json'), 'utf8'));
    expect(manifest.dependencies).toBeUndefined();
    // Every bundled package is listed with its licence; none of them is server-side.
    const bundled = readFileSync(join(packed.packageDir, 'THIRD-PARTY-LICENSES.txt'), 'utf8')
      .split('\n')
      .flatMap((line) => /^((?:@[\w.-]+\/)?[\w.-]+)@\d/.exec(line)?.[1] ?? []);
    expect(bundled).toContain('@smithy/signature-v4');
    expect(bundled.filter((name) => SERVER_SIDE.some((pattern) => pattern.test(name)))).toEqual([]);
    expect(readFileSync(join(packed.packageDir, 'aws-signing.cjs'), 'utf8')).not.toContain('DynamoDB_20120810');
  });

  it('prints its version and its help', async () => {
    const version = await jit(['--version']);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(cliPackage.version);
    const help = await jit(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: jit <command>');
  });

  it('signs a request to a deployed (https) broker with the AWS credential chain', async () => {
    const tls = await selfSignedCertificate(home);
    const seen: Record<string, string | undefined>[] = [];
    const broker: Server = createServer({ key: tls.key, cert: tls.cert }, (request, response) => {
      seen.push({
        path: request.url,
        authorization: request.headers.authorization,
        date: request.headers['x-amz-date'] as string,
      });
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ grants: [] }));
    });
    await new Promise<void>((resolve) => broker.listen(0, '127.0.0.2', () => resolve()));
    try {
      const api = `https://127.0.0.2:${(broker.address() as AddressInfo).port}`;
      const listed = await jit(['list', '--api', api, '--api-region', 'eu-west-1', '--json'], {
        NODE_EXTRA_CA_CERTS: tls.certPath,
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      });
      expect(listed.code, listed.stderr).toBe(0);
      expect(JSON.parse(listed.stdout)).toEqual({ grants: [] });
      expect(seen).toHaveLength(1);
      expect(seen[0]?.path).toBe('/grants');
      expect(seen[0]?.authorization).toMatch(
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${seen[0]?.date?.slice(0, 8)}/eu-west-1/execute-api/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$`
        )
      );
    } finally {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
    }
  });

  describe('against the broker on DynamoDB Local and the AWS emulator', () => {
    let broker: EmulatedBroker;
    beforeAll(async () => {
      broker = await emulatedBroker();
    }, 60_000);
    afterAll(async () => broker?.dispose());

    it('requests a grant, and hands out its credentials as credential_process, the second time from its cache', async () => {
      const as = (user: string) => ['--api', broker.api.base, '--as', user];
      // This loopback API wants its per-start token, as the sandbox does.
      const token = { JIT_SANDBOX_TOKEN: broker.api.token };
      const requested = await jit([...PROD_READ_REQUEST, ...as('alice')], token);
      expect(requested.code, requested.stderr).toBe(0);
      const { id } = JSON.parse(requested.stdout) as { id: string };
      expect((await broker.api.as('bob').post(`/grants/${id}/approve`, {})).status).toBe(200);

      const first = await jit(['creds', id, '--format', 'process', ...as('alice')], token);
      expect(first.code, first.stderr).toBe(0);
      const credentials = JSON.parse(first.stdout);
      expect(credentials.Version).toBe(1);
      const who = await broker.callerIdentity(credentials);
      expect(who.Arn).toBe(`arn:aws:sts::123456789012:assumed-role/prod-read/alice.${id}`);

      const again = await jit(['creds', id, '--format', 'process', ...as('alice')], token);
      expect(JSON.parse(again.stdout).AccessKeyId).toBe(credentials.AccessKeyId);
    });
  });
});
