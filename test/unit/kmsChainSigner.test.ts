import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import {
  DisabledException,
  GetPublicKeyCommand,
  KMSClient,
  KMSServiceException,
  SignCommand,
  type SignCommandInput,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { KmsChainSigner } from '../../functions/adapters/aws/kmsChainSigner.js';
import { ServiceUnavailableError } from '../../functions/domain/errors.js';
import { offlineClientConfig, rejectionOf, serviceFault } from '../helpers/awsFaults.js';

const kms = mockClient(KMSClient);
const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const RETIRED_ARN = 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000';
const STATEMENT = '{"grantDigest":"d","grantId":"g-1","hash":"h","seq":1,"statement":"jit-broker/audit-chain-head/v1"}';

/** A real P-256 pair stands in for the key inside KMS: Sign answers what KMS would, a DER ECDSA signature. */
const keyPair = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
const spki = (publicKey: KeyObject) => new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
const kmsSigns = (privateKey: KeyObject, keyId = KEY_ARN) =>
  kms.on(SignCommand).callsFake((input: SignCommandInput) => ({
    KeyId: keyId,
    SigningAlgorithm: 'ECDSA_SHA_256',
    Signature: new Uint8Array(sign('sha256', Buffer.from(input.Message as Uint8Array), privateKey)),
  }));
const publicKeyIs = (publicKey: KeyObject, keyId = KEY_ARN, spec = 'ECC_NIST_P256') =>
  kms
    .on(GetPublicKeyCommand, { KeyId: keyId })
    .resolves({ KeyId: keyId, KeySpec: spec as 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', PublicKey: spki(publicKey) });

const signer = () =>
  new KmsChainSigner(new KMSClient(offlineClientConfig), { keyArn: KEY_ARN, trustedKeyArns: [RETIRED_ARN] });

describe('KmsChainSigner', () => {
  beforeEach(() => kms.reset());
  afterAll(() => kms.restore());

  it('signs the statement as a raw message with ECDSA_SHA_256 and the configured key', async () => {
    const { privateKey } = keyPair();
    kmsSigns(privateKey);
    const signature = await signer().sign(STATEMENT);
    expect(signature).toMatchObject({ keyId: KEY_ARN, algorithm: 'ECDSA_SHA_256' });
    const input = kms.commandCalls(SignCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ KeyId: KEY_ARN, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' });
    expect(Buffer.from(input.Message as Uint8Array).toString('utf8')).toBe(STATEMENT);
  });

  it('verifies a real signature round trip with the public key, fetched once', async () => {
    const { privateKey, publicKey } = keyPair();
    kmsSigns(privateKey);
    publicKeyIs(publicKey);
    const chain = signer();
    const signature = await chain.sign(STATEMENT);
    expect(await chain.verify(STATEMENT, signature)).toBe('valid');
    expect(await chain.verify(STATEMENT.replace('"seq":1', '"seq":2'), signature)).toBe('invalid');
    expect(await chain.verify(STATEMENT, { ...signature, value: Buffer.from('junk').toString('base64') })).toBe(
      'invalid'
    );
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
  });

  it('does not trust a signature by any other key, even a valid one, and never asks KMS about it', async () => {
    const { privateKey, publicKey } = keyPair();
    const other = 'arn:aws:kms:us-east-1:999999999999:key/attacker';
    kmsSigns(privateKey, other);
    publicKeyIs(publicKey, other);
    const signature = await signer().sign(STATEMENT);
    expect(await signer().verify(STATEMENT, signature)).toBe('untrusted-key');
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(0);
  });

  it('still verifies chains signed by a retired key it was told to trust', async () => {
    const { privateKey, publicKey } = keyPair();
    kmsSigns(privateKey, RETIRED_ARN);
    publicKeyIs(publicKey, RETIRED_ARN);
    const signature = await signer().sign(STATEMENT);
    expect(await signer().verify(STATEMENT, signature)).toBe('valid');
  });

  it('refuses a public key that is not an ECC P-256 signing key', async () => {
    publicKeyIs(keyPair().publicKey, KEY_ARN, 'RSA_2048');
    const error = await rejectionOf(
      signer().verify(STATEMENT, { keyId: KEY_ARN, algorithm: 'ECDSA_SHA_256', value: 'x' })
    );
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ code: 'CHAIN_KEY_UNAVAILABLE' });
  });

  it.each([
    [serviceFault(KMSServiceException, 'AccessDeniedException', 400), 'CHAIN_KEY_ACCESS_DENIED', 'kms:Sign'],
    [new DisabledException({ message: 'disabled', $metadata: {} }), 'CHAIN_KEY_UNAVAILABLE', 'DisabledException'],
    [serviceFault(KMSServiceException, 'ThrottlingException', 400), 'KMS_THROTTLED', 'throttling'],
    [serviceFault(KMSServiceException, 'KMSInternalException', 500), 'KMS_UNAVAILABLE', 'server error'],
  ])('fails closed when KMS cannot sign (%s → %s): nothing may be stored unsigned', async (fault, code, says) => {
    kms.on(SignCommand).rejects(fault);
    const error = await rejectionOf(signer().sign(STATEMENT));
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toMatchObject({ code });
    expect((error as Error).message).toContain(says);
  });

  it('asks for the public key again after a failed fetch', async () => {
    const { privateKey, publicKey } = keyPair();
    kmsSigns(privateKey);
    kms.on(GetPublicKeyCommand).rejectsOnce(serviceFault(KMSServiceException, 'ThrottlingException', 400));
    const chain = signer();
    const signature = await chain.sign(STATEMENT);
    expect(await rejectionOf(chain.verify(STATEMENT, signature))).toMatchObject({ code: 'KMS_THROTTLED' });
    publicKeyIs(publicKey);
    expect(await chain.verify(STATEMENT, signature)).toBe('valid');
  });
});
