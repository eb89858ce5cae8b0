import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import type { ChainSigner } from '../ports.js';
import { fingerprintOf, SIGNING_ALGORITHM, signStatement, statementSigned } from './ecdsaSignatures.js';

/** A new P-256 private key, PKCS#8 PEM: what the sandbox keeps beside its data. */
const newSigningKeyPem = (): string =>
  generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

/**
 * The chain signer of the sandbox and the tests: a P-256 key held in this process. It trusts only
 * its own key, as the KMS signer trusts only the broker's KMS key. Its key id is
 * `local:<fingerprint>`; never use it in AWS, where the key would sit beside the table it protects.
 */
const localChainSigner = (privateKeyPem: string = newSigningKeyPem()): ChainSigner & { readonly keyId: string } => {
  const privateKey = createPrivateKey(privateKeyPem);
  const publicKey = createPublicKey(privateKey);
  const keyId = `local:${fingerprintOf(publicKey)}`;
  return {
    keyId,
    sign: async (statement) => ({ keyId, algorithm: SIGNING_ALGORITHM, value: signStatement(privateKey, statement) }),
    verify: async (statement, signature) => {
      if (signature.keyId !== keyId) return 'untrusted-key';
      if (signature.algorithm !== SIGNING_ALGORITHM) return 'invalid';
      return statementSigned(publicKey, statement, signature.value) ? 'valid' : 'invalid';
    },
  };
};

export { localChainSigner, newSigningKeyPem };
