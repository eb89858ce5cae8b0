import type { KeyObject } from 'node:crypto';
import { GetPublicKeyCommand, type GetPublicKeyCommandOutput, type KMSClient, SignCommand } from '@aws-sdk/client-kms';
import { ServiceUnavailableError } from '../../domain/errors.js';
import type { ChainSigner } from '../../ports.js';
import { publicKeyFromSpki, SIGNING_ALGORITHM, statementSigned } from '../ecdsaSignatures.js';
import { hasName, type OutageCodes, outageError } from './awsErrors.js';

const KMS_OUTAGES: OutageCodes = {
  service: 'KMS',
  throttled: 'KMS_THROTTLED',
  unreachable: 'KMS_UNREACHABLE',
  failing: 'KMS_UNAVAILABLE',
};

/** The key is gone, disabled or pending deletion: the broker cannot sign, so it records nothing. */
const KEY_STATE_ERRORS = [
  'NotFoundException',
  'DisabledException',
  'KMSInvalidStateException',
  'KeyUnavailableException',
];

const translate = (error: unknown, keyArn: string, action: 'kms:Sign' | 'kms:GetPublicKey'): unknown => {
  if (hasName(error, ['AccessDeniedException', 'AccessDenied'])) {
    return new ServiceUnavailableError(
      'CHAIN_KEY_ACCESS_DENIED',
      `this function may not use the audit chain key ${keyArn} (${action}): its key policy and the function's role must both allow it`,
      { cause: error }
    );
  }
  if (hasName(error, KEY_STATE_ERRORS)) {
    return new ServiceUnavailableError(
      'CHAIN_KEY_UNAVAILABLE',
      `the audit chain key ${keyArn} cannot be used (${(error as Error).name}): it is disabled, pending deletion or gone`,
      { cause: error }
    );
  }
  return outageError(error, KMS_OUTAGES) ?? error;
};

/**
 * Signs chain heads with an asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY; infra/chainSigningKey.ts):
 * one `Sign` per audit event, in the same use case as the event's transaction. Verification uses
 * the public key, fetched once per key and process with `GetPublicKey`, and only for keys the
 * broker trusts — its own key, and retired keys kept for old chains (`CHAIN_TRUSTED_KEY_ARNS`).
 */
class KmsChainSigner implements ChainSigner {
  readonly #client: KMSClient;
  readonly #keyArn: string;
  readonly #trusted: ReadonlySet<string>;
  readonly #publicKeys = new Map<string, Promise<KeyObject>>();

  constructor(client: KMSClient, options: { keyArn: string; trustedKeyArns?: readonly string[] }) {
    this.#client = client;
    this.#keyArn = options.keyArn;
    this.#trusted = new Set([options.keyArn, ...(options.trustedKeyArns ?? [])]);
  }

  async sign(statement: string) {
    try {
      const out = await this.#client.send(
        new SignCommand({
          KeyId: this.#keyArn,
          Message: Buffer.from(statement, 'utf8'),
          MessageType: 'RAW',
          SigningAlgorithm: SIGNING_ALGORITHM,
        })
      );
      if (out.Signature === undefined) throw new Error('KMS answered Sign without a signature');
      return {
        keyId: out.KeyId ?? this.#keyArn,
        algorithm: SIGNING_ALGORITHM,
        value: Buffer.from(out.Signature).toString('base64'),
      };
    } catch (error) {
      throw translate(error, this.#keyArn, 'kms:Sign');
    }
  }

  async verify(statement: string, signature: { keyId: string; algorithm: string; value: string }) {
    if (!this.#trusted.has(signature.keyId)) return 'untrusted-key' as const;
    if (signature.algorithm !== SIGNING_ALGORITHM) return 'invalid' as const;
    const publicKey = await this.#publicKey(signature.keyId);
    return statementSigned(publicKey, statement, signature.value) ? ('valid' as const) : ('invalid' as const);
  }

  /** One GetPublicKey per key and process; a failed fetch is not kept, so the next check tries again. */
  #publicKey(keyId: string): Promise<KeyObject> {
    let pending = this.#publicKeys.get(keyId);
    if (pending === undefined) {
      pending = this.#fetchPublicKey(keyId);
      this.#publicKeys.set(keyId, pending);
      pending.catch(() => this.#publicKeys.delete(keyId));
    }
    return pending;
  }

  async #fetchPublicKey(keyId: string): Promise<KeyObject> {
    let out: GetPublicKeyCommandOutput;
    try {
      out = await this.#client.send(new GetPublicKeyCommand({ KeyId: keyId }));
    } catch (error) {
      throw translate(error, keyId, 'kms:GetPublicKey');
    }
    // KeySpec, and CustomerMasterKeySpec before it (deprecated, still answered; some emulators only answer it).
    const spec = out.KeySpec ?? out.CustomerMasterKeySpec;
    if (out.PublicKey === undefined || spec !== 'ECC_NIST_P256' || out.KeyUsage !== 'SIGN_VERIFY') {
      throw new ServiceUnavailableError(
        'CHAIN_KEY_UNAVAILABLE',
        `the audit chain key ${keyId} is not an ECC_NIST_P256 signing key (${spec ?? '?'}, ${out.KeyUsage ?? '?'})`
      );
    }
    return publicKeyFromSpki(out.PublicKey);
  }
}

export { KmsChainSigner };
