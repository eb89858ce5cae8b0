import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createBrokerClient } from '../../cli/api/brokerClient.js';
import { signRequest } from '../../cli/api/signRequest.js';
import { fakeFetch, jsonResponse, type SentRequest } from './cliFakes.js';

const CREDENTIALS = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token',
};
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();
const rfc3986 = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * An independent SigV4 (the AWS documentation's algorithm, written out) over what was actually
 * sent, to check the CLI's Authorization header without trusting the library that made it.
 */
const expectedSignature = (sent: SentRequest, region: string): string => {
  const amzDate = sent.headers['x-amz-date']!;
  const day = amzDate.slice(0, 8);
  const authorization = sent.headers.authorization!;
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)![1]!.split(';');
  const headerValue = (name: string) => (name === 'host' ? sent.url.host : sent.headers[name]!.trim());
  const query = [...sent.url.searchParams]
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .sort()
    .join('&');
  const canonical = [
    sent.method,
    sent.url.pathname,
    query,
    ...signedHeaders.map((h) => `${h}:${headerValue(h)}`),
    '',
    signedHeaders.join(';'),
    sha256(sent.body ?? ''),
  ].join('\n');
  const scope = `${day}/${region}/execute-api/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = ['execute-api', 'aws4_request'].reduce(
    (k, part) => hmac(k, part),
    hmac(hmac(`AWS4${CREDENTIALS.secretAccessKey}`, day), region)
  );
  return createHmac('sha256', key).update(toSign).digest('hex');
};

describe('SigV4 signing of broker requests', () => {
  it('produces an execute-api Authorization header over method, host, path, query and body', async () => {
    const url = new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/grants?inbox=true&limit=5');
    const headers = await signRequest(
      { method: 'GET', url, headers: { accept: 'application/json' } },
      CREDENTIALS,
      'eu-west-1',
      new Date('2026-11-23T12:00:00Z')
    );
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20261123\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=accept;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/
    );
    expect(headers['x-amz-date']).toBe('20261123T120000Z');
    expect(headers['x-amz-security-token']).toBe('session-token');
    expect(headers['x-amz-content-sha256']).toBe(sha256(''));
  });

  it('signs exactly the request the client sends, body included', async () => {
    const { fetch, sent } = fakeFetch(() => jsonResponse(201, { id: 'g-1' }));
    const call = createBrokerClient(
      { apiUrl: new URL('https://abc123.execute-api.eu-west-1.amazonaws.com/prod'), mode: 'aws', region: 'eu-west-1' },
      { fetch, credentials: async () => CREDENTIALS }
    );
    await call('POST', '/grants', { body: { role: 'prod-read', reason: 'debug the export job' } });
    await call('GET', '/grants', { query: { inbox: 'true', cursor: 'a b/c' } });

    const [post, get] = sent as [SentRequest, SentRequest];
    expect(post.url.pathname).toBe('/prod/grants');
    expect(post.body).toBe('{"role":"prod-read","reason":"debug the export job"}');
    expect(post.headers.host).toBeUndefined();
    expect(post.headers['x-amz-content-sha256']).toBe(sha256(post.body!));
    for (const request of [post, get]) {
      expect(request.headers.authorization).toContain(`Signature=${expectedSignature(request, 'eu-west-1')}`);
      expect(request.headers['x-jit-user']).toBeUndefined();
    }
    // A changed body no longer matches the signature: the body hash is part of it.
    expect(post.headers.authorization).not.toContain(
      `Signature=${expectedSignature({ ...post, body: '{}' }, 'eu-west-1')}`
    );
  });

  it('sends the sandbox user header and token instead of a signature to the loopback sandbox', async () => {
    const { fetch, sent } = fakeFetch(() => jsonResponse(200, { grants: [] }));
    const call = createBrokerClient(
      {
        apiUrl: new URL('http://127.0.0.1:8787'),
        mode: 'sandbox',
        user: 'alice',
        sandboxToken: { value: 'tok', from: '$JIT_SANDBOX_TOKEN' },
      },
      {
        fetch,
        credentials: async () => {
          throw new Error('the sandbox must not ask for AWS credentials');
        },
      }
    );
    await call('GET', '/grants');
    expect(sent[0]!.headers).toEqual({
      accept: 'application/json',
      'x-jit-user': 'alice',
      'x-jit-sandbox-token': 'tok',
    });
  });
});
