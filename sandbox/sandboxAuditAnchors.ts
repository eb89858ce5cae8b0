import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { localChainSigner, newSigningKeyPem } from '../functions/adapters/localChainSigner.js';
import type { AuditAnchors } from '../functions/handlers/composeBroker.js';
import { directoryAuditArchive } from './directoryAuditArchive.js';

const KEY_FILE = 'audit-signing-key.pem';
const ARCHIVE_DIR = 'audit-archive';

/** The sandbox's signing key, created once (readable by its owner only) and kept with the data. */
const signingKeyPem = (dir: string): string => {
  const path = join(dir, KEY_FILE);
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(path, newSigningKeyPem(), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    // Another sandbox on the same data created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(path, 'utf8');
};

/**
 * The audit chain's anchors on one machine: a local P-256 key instead of KMS, and a directory
 * instead of the Object Lock bucket, archived as each event is stored (there is no table stream
 * here; as with the stream, the request does not wait for the copy). With a data directory both
 * live in it and survive restarts, like the grants they sign and keep; without one they live in a
 * temporary directory that `dispose` removes once the last copies are written.
 */
const sandboxAuditAnchors = (
  dataDir: string | undefined
): AuditAnchors & { dispose(): Promise<void>; archiveDir: string } => {
  const dir = dataDir === undefined ? mkdtempSync(join(tmpdir(), 'jit-sandbox-audit-')) : resolve(dataDir);
  const archive = directoryAuditArchive(join(dir, ARCHIVE_DIR));
  return {
    signer: localChainSigner(signingKeyPem(dir)),
    archive,
    archiveAppends: archive,
    archiveDir: join(dir, ARCHIVE_DIR),
    // The archive's last writes land before a temporary directory goes.
    dispose: async () => {
      await archive.settled();
      if (dataDir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
};

export { sandboxAuditAnchors };
