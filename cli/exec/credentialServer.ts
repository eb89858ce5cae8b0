import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { VendedCredentials } from '../api/brokerApi.js';
import { EXIT, exitCodeFor } from '../errors.js';
import { sameToken } from '../sameToken.js';

interface CredentialServer {
  /** For AWS_CONTAINER_CREDENTIALS_FULL_URI. */
  readonly url: string;
  /** For AWS_CONTAINER_AUTHORIZATION_TOKEN; other local processes cannot guess it. */
  readonly token: string;
  close(): Promise<void>;
}

/**
 * A failure in the container endpoint's error shape (`Code`, `Message`: the JS SDK reads both;
 * the AWS CLI v2 prints the whole body after "Received non 200 response (403) from ECS metadata:").
 * An ended grant is final (403); anything else may pass (503, e.g. the broker is unreachable).
 */
const failureAnswer = (error: Error): { status: number; body: { Code: string; Message: string } } =>
  exitCodeFor(error) === EXIT.grantClosed
    ? { status: 403, body: { Code: 'GrantEnded', Message: `jit: ${error.message}` } }
    : { status: 503, body: { Code: 'CredentialsUnavailable', Message: `jit: ${error.message}` } };

/**
 * The container credentials endpoint (as ECS serves it, and as aws-vault's --ecs-server does) on
 * 127.0.0.1: each GET with the right token answers with credentials from `current`, which
 * re-checks the grant and re-vends before expiry. Failures answer with the reason, which the SDK
 * shows the user.
 */
const startCredentialServer = async (
  current: () => Promise<VendedCredentials>,
  onFailure: (error: Error) => void = () => {}
): Promise<CredentialServer> => {
  const token = randomBytes(32).toString('hex');
  const server: Server = createServer((req, res) => {
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || !sameToken(req.headers.authorization, token)) {
      reply(401, { Code: 'NotAuthorized', Message: 'jit: not authorized (AWS_CONTAINER_AUTHORIZATION_TOKEN)' });
      return;
    }
    current().then(
      (c) =>
        reply(200, {
          AccessKeyId: c.AccessKeyId,
          SecretAccessKey: c.SecretAccessKey,
          Token: c.SessionToken,
          Expiration: c.Expiration,
        }),
      (error: Error) => {
        onFailure(error);
        const { status, body } = failureAnswer(error);
        reply(status, body);
      }
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/credentials`,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

export type { CredentialServer };
export { startCredentialServer };
