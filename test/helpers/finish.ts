import type { ChildProcess } from 'node:child_process';

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A child process's exit code and everything it wrote, once it has exited. */
const finish = (child: ChildProcess): Promise<Finished> =>
  new Promise((done) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.once('exit', (code) => done({ code, stdout, stderr }));
  });

export type { Finished };
export { finish };
