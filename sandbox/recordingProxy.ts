import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudTrailRecord } from '../functions/domain/activity.js';
import type { Logger } from '../functions/ports.js';
import { accessDeniedAnswer } from './accessDenied.js';
import { type AwsRequest, type ResourceContext, readAwsRequest } from './awsRequests.js';
import type { Decision, Enforce } from './sandboxIam.js';
import type { VendedSession, VendedSessions } from './vendedSessions.js';

/**
 * The sandbox's stand-in for CloudTrail and IAM: a proxy in front of the AWS emulator. Every call
 * signed with a key the broker vended is first decided as IAM would (when an enforcer is given) and
 * refused in AWS's wire format, or forwarded; either way it becomes a CloudTrail-shaped record
 * (AssumedRole identity with `sessionContext.sourceIdentity` = the grant id, the access key id,
 * event source and name, time, a fresh event id, and the error code and message of a refusal) for
 * the same recorder use case the Lambda runs. Calls signed with other keys pass through untouched.
 */

/** A CloudTrail record with the message CloudTrail logs beside the error code. */
interface SandboxTrailRecord extends CloudTrailRecord {
  readonly errorMessage?: string;
}

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

interface Answer {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer | string;
}

const forward = (target: URL, request: IncomingMessage, body: Buffer): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const forwarded = httpRequest(
      { host: target.hostname, port: target.port, method: request.method, path: request.url, headers: request.headers },
      async (answer) =>
        resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: await readAll(answer) })
    );
    forwarded.once('error', reject);
    forwarded.end(body);
  });

const startRecordingProxy = async (input: {
  target: string;
  sessions: VendedSessions;
  /** What the proxy needs to name resources (the account, the catalog's role ARNs). */
  resources: ResourceContext;
  /** Decides each call of a vended session; without it every call is forwarded (recording only). */
  enforce?: Enforce;
  record: (record: SandboxTrailRecord) => Promise<unknown>;
  now: () => Date;
  logger: Logger;
}) => {
  const target = new URL(input.target);
  const recordCall = async (call: AwsRequest, session: VendedSession, error: { code?: string; message?: string }) => {
    await input.record({
      eventID: randomUUID(),
      eventTime: input.now().toISOString(),
      eventSource: `${call.service}.amazonaws.com`,
      eventName: call.operation,
      awsRegion: call.region,
      ...(error.code === undefined ? {} : { errorCode: error.code }),
      ...(error.message === undefined ? {} : { errorMessage: error.message }),
      userIdentity: {
        type: 'AssumedRole',
        principalId: `AROASANDBOX:${session.sourceIdentity}`,
        arn: session.assumedRoleArn,
        accessKeyId: session.accessKeyId,
        sessionContext: {
          sourceIdentity: session.sourceIdentity,
          // As CloudTrail logs it: the role's ARN with its path, which the assumed-role ARN leaves out.
          sessionIssuer: { type: 'Role', arn: session.roleArn },
        },
      },
    });
  };
  /** Recorded before the caller sees the answer: an audit right after the call already shows it. */
  const recordThenAnswer = async (
    response: ServerResponse,
    answer: Answer,
    call: { request: AwsRequest; session: VendedSession; error: { code?: string; message?: string } } | undefined
  ) => {
    if (call !== undefined) {
      await recordCall(call.request, call.session, call.error).catch((error: Error) =>
        input.logger.error('recording a sandbox API call failed', { error: error.message })
      );
    }
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  };

  const server = createServer(async (request, response) => {
    try {
      const body = await readAll(request);
      const call = readAwsRequest(request, body.toString('utf8'), input.resources);
      const session = call === undefined ? undefined : input.sessions.sessionOf(call.accessKeyId);
      if (call === undefined || session === undefined) {
        await recordThenAnswer(response, await forward(target, request, body), undefined);
        return;
      }
      const decision: Decision =
        input.enforce === undefined
          ? { allowed: true }
          : await input.enforce(session, call, request.socket.remoteAddress ?? '127.0.0.1');
      if (!decision.allowed) {
        const denied = accessDeniedAnswer(call.protocol, call.service, decision.refusal, call.apiVersion);
        const error = { code: denied.errorCode, message: denied.errorMessage };
        await recordThenAnswer(response, denied, { request: call, session, error });
        return;
      }
      const upstream = await forward(target, request, body);
      const code = errorCodeOf(upstream.status, upstream.body.toString('utf8'));
      await recordThenAnswer(response, upstream, { request: call, session, error: code === undefined ? {} : { code } });
    } catch (error) {
      input.logger.error('recording proxy failed', { error: (error as Error).message });
      if (!response.headersSent) {
        response.writeHead(502, { 'content-type': 'text/plain' });
        response.end('the sandbox recording proxy could not reach the AWS emulator');
      }
    }
  });
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

export type { SandboxTrailRecord };
export { errorCodeOf, startRecordingProxy };
