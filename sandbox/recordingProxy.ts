import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudTrailRecord } from '../functions/domain/activity.js';
import type { CredentialIssuer, Logger } from '../functions/ports.js';

/**
 * The sandbox's stand-in for CloudTrail: a proxy in front of the AWS emulator that turns every call
 * signed with a key the broker vended into a CloudTrail-shaped record (AssumedRole identity with
 * `sessionContext.sourceIdentity` = the grant id, the access key id, event source and name, time,
 * a fresh event id) and hands it to the same recorder use case the Lambda runs.
 */

/** Which vended key belongs to which grant: what CloudTrail knows from the AssumeRole event. */
interface VendedKeys {
  grantOf(accessKeyId: string): { grantId: string; roleArn: string; assumedRoleArn: string } | undefined;
}

/** Wraps the credential issuer so every vended key is remembered with its grant (the session's source identity). */
const rememberingVends = (issuer: CredentialIssuer): { issuer: CredentialIssuer; keys: VendedKeys } => {
  const byKey = new Map<string, { grantId: string; roleArn: string; assumedRoleArn: string }>();
  return {
    issuer: {
      issue: async (request) => {
        const issued = await issuer.issue(request);
        byKey.set(issued.accessKeyId, {
          grantId: request.sourceIdentity,
          roleArn: request.roleArn,
          assumedRoleArn: issued.assumedRoleArn,
        });
        return issued;
      },
    },
    keys: { grantOf: (key) => byKey.get(key) },
  };
};

/** `Credential=ASIA…/20261123/us-east-1/s3/aws4_request` → key and service. */
const SIGV4 = /Credential=([A-Z0-9]+)\/\d{8}\/[a-z0-9-]+\/([a-z0-9-]+)\/aws4_request/;

/** The S3 REST operation a request is, for the common object and bucket calls. */
const s3Operation = (method: string, url: URL): string => {
  const [bucket, ...key] = url.pathname.split('/').filter((p) => p !== '');
  if (bucket === undefined) return method === 'GET' ? 'ListBuckets' : 'Unknown';
  if (key.length === 0) {
    const bucketOps: Record<string, string> = {
      GET: url.searchParams.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects',
      PUT: 'CreateBucket',
      DELETE: 'DeleteBucket',
      HEAD: 'HeadBucket',
    };
    return bucketOps[method] ?? 'Unknown';
  }
  const objectOps: Record<string, string> = {
    GET: 'GetObject',
    PUT: 'PutObject',
    DELETE: 'DeleteObject',
    HEAD: 'HeadObject',
  };
  return objectOps[method] ?? 'Unknown';
};

/** The API operation of a request in the query (STS, IAM), JSON (X-Amz-Target) or S3 REST protocol. */
const operationOf = (request: IncomingMessage, url: URL, body: string, service: string): string => {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string' && target.includes('.')) return target.slice(target.lastIndexOf('.') + 1);
  const action = url.searchParams.get('Action') ?? new URLSearchParams(body).get('Action');
  if (action) return action;
  return service === 's3' ? s3Operation(request.method ?? 'GET', url) : 'Unknown';
};

/** The error code of a failed call, as CloudTrail would log it. */
const errorCodeOf = (status: number, body: string): string | undefined => {
  if (status < 400) return undefined;
  return (
    /<Code>([A-Za-z.]+)<\/Code>/.exec(body)?.[1] ??
    /"__type"\s*:\s*"(?:[^"#]*#)?([A-Za-z.]+)"/.exec(body)?.[1] ??
    `HTTP${status}`
  );
};

const readAll = (stream: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });

const startRecordingProxy = async (input: {
  target: string;
  keys: VendedKeys;
  record: (record: CloudTrailRecord) => Promise<unknown>;
  now: () => Date;
  logger: Logger;
}) => {
  const target = new URL(input.target);
  const server = createServer(async (request, response) => {
    try {
      const body = await readAll(request);
      const upstream = await new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>(
        (resolve, reject) => {
          const forwarded = httpRequest(
            {
              host: target.hostname,
              port: target.port,
              method: request.method,
              path: request.url,
              headers: request.headers,
            },
            async (answer) =>
              resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: await readAll(answer) })
          );
          forwarded.once('error', reject);
          forwarded.end(body);
        }
      );
      // Recorded before the caller sees the answer: an audit right after the call already shows it.
      await recordCall(request, body, upstream).catch((error: Error) =>
        input.logger.error('recording a sandbox API call failed', { error: error.message })
      );
      response.writeHead(upstream.status, upstream.headers);
      response.end(upstream.body);
    } catch (error) {
      input.logger.error('recording proxy failed', { error: (error as Error).message });
      if (!response.headersSent) {
        response.writeHead(502, { 'content-type': 'text/plain' });
        response.end('the sandbox recording proxy could not reach the AWS emulator');
      }
    }
  });
  const recordCall = async (request: IncomingMessage, body: Buffer, upstream: { status: number; body: Buffer }) => {
    const signed = SIGV4.exec(String(request.headers.authorization ?? ''));
    const vend = signed?.[1] === undefined ? undefined : input.keys.grantOf(signed[1]);
    if (signed === null || vend === undefined) return;
    const [, accessKeyId, service] = signed as unknown as [string, string, string];
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const eventName = operationOf(request, url, body.toString('utf8'), service);
    const errorCode = errorCodeOf(upstream.status, upstream.body.toString('utf8'));
    await input.record({
      eventID: randomUUID(),
      eventTime: input.now().toISOString(),
      eventSource: `${service}.amazonaws.com`,
      eventName,
      awsRegion: 'us-east-1',
      ...(errorCode === undefined ? {} : { errorCode }),
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROASANDBOX:${vend.grantId}`,
        arn: vend.assumedRoleArn,
        accessKeyId,
        sessionContext: {
          sourceIdentity: vend.grantId,
          // As CloudTrail logs it: the role's ARN with its path, which the assumed-role ARN leaves out.
          sessionIssuer: { type: 'Role', arn: vend.roleArn },
        },
      },
    });
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

export type { VendedKeys };
export { errorCodeOf, operationOf, rememberingVends, startRecordingProxy };
