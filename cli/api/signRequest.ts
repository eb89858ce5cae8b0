import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Exactly what goes on the wire; the signature covers all of it. */
interface OutgoingRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

const bytesOf = (data: SourceData): Buffer | string =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256 (or HMAC-SHA-256 with a key) from node:crypto, in the shape the SigV4 signer asks for. */
class NodeSha256 {
  private readonly hash: Hash | Hmac;

  constructor(key?: SourceData) {
    this.hash = key === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(key));
  }

  update(data: SourceData): void {
    this.hash.update(bytesOf(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

/**
 * Signs a request for API Gateway's IAM authorizer (service `execute-api`). Method, host, path,
 * query and a hash of the body are signed, so the request must be sent exactly as built here.
 */
const signRequest = async (
  request: OutgoingRequest,
  credentials: AwsCredentials,
  region: string,
  now: Date = new Date()
): Promise<Record<string, string>> => {
  const signer = new SignatureV4({ service: 'execute-api', region, credentials, sha256: NodeSha256 });
  const query: Record<string, string> = {};
  for (const [key, value] of request.url.searchParams) query[key] = value;
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      ...(request.url.port ? { port: Number(request.url.port) } : {}),
      path: request.url.pathname,
      query,
      // SigV4 signs the host header; API Gateway sees the URL's host, so sign that one.
      headers: { ...request.headers, host: request.url.host },
      ...(request.body === undefined ? {} : { body: request.body }),
    },
    { signingDate: now }
  );
  return signed.headers as Record<string, string>;
};

export type { AwsCredentials, OutgoingRequest };
export { signRequest };
