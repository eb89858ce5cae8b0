import { createHash, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';

/**
 * ECDSA on P-256 with SHA-256, DER-encoded: what KMS's `ECDSA_SHA_256` produces for an
 * `ECC_NIST_P256` key (KMS Developer Guide, "Asymmetric key specs"), and what the sandbox's local
 * key produces too, so one check serves both. Verification happens here, with the public key, not
 * by a KMS call per event (AWS Security Blog, "How to verify AWS KMS signatures in decoupled
 * architectures at scale").
 */
const SIGNING_ALGORITHM = 'ECDSA_SHA_256' as const;

const signStatement = (privateKey: KeyObject, statement: string): string =>
  sign('sha256', Buffer.from(statement, 'utf8'), { key: privateKey, dsaEncoding: 'der' }).toString('base64');

/** False for a wrong signature and for one that is not a DER ECDSA signature at all. */
const statementSigned = (publicKey: KeyObject, statement: string, value: string): boolean => {
  try {
    return verify(
      'sha256',
      Buffer.from(statement, 'utf8'),
      { key: publicKey, dsaEncoding: 'der' },
      Buffer.from(value, 'base64')
    );
  } catch {
    return false;
  }
};

/** A DER SubjectPublicKeyInfo (what KMS GetPublicKey answers) as a key Node can verify with. */
const publicKeyFromSpki = (der: Uint8Array): KeyObject =>
  createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });

/** A short, stable name for a public key: the start of the SHA-256 of its DER encoding. */
const fingerprintOf = (publicKey: KeyObject): string =>
  createHash('sha256')
    .update(publicKey.export({ format: 'der', type: 'spki' }))
    .digest('hex')
    .slice(0, 16);

export { fingerprintOf, publicKeyFromSpki, SIGNING_ALGORITHM, signStatement, statementSigned };
