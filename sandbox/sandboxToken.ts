import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { sandboxTokenFile, tokenInFile } from '../cli/sandboxToken.js';

/** 256 random bits, URL-safe: fits a header, an `export` line and a URL fragment unquoted. */
const newSandboxToken = (): string => randomBytes(32).toString('base64url');

interface PublishedToken {
  readonly path: string;
  /** Removes the file if it still holds this start's token (a newer sandbox on the port may have replaced it). */
  remove(): Promise<void>;
}

/**
 * Writes `{url, token, pid}` where the `jit` CLI looks for the token of the sandbox on `port`:
 * in a directory only this user can enter (0700), in a file only this user can read (0600),
 * created under another name and renamed into place, so no reader ever sees half a file.
 */
const publishSandboxToken = async (input: {
  env: NodeJS.ProcessEnv;
  url: string;
  port: number;
  token: string;
}): Promise<PublishedToken> => {
  const path = sandboxTokenFile(input.env, input.port);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const staging = `${path}.${process.pid}.tmp`;
  await rm(staging, { force: true });
  await writeFile(staging, `${JSON.stringify({ url: input.url, token: input.token, pid: process.pid })}\n`, {
    mode: 0o600,
    flag: 'wx',
  });
  await rename(staging, path);
  return {
    path,
    remove: async () => {
      const written = await readFile(path, 'utf8').catch(() => undefined);
      if (tokenInFile(written) === input.token) await rm(path, { force: true });
    },
  };
};

export type { PublishedToken };
export { newSandboxToken, publishSandboxToken };
