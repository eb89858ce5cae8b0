import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Io } from '../output.js';

interface RunningChild {
  /** The child's exit code, or 128 + the signal number like a shell; 127 if it could not start. */
  readonly exited: Promise<number>;
  /**
   * SIGTERM now, SIGKILL if it is still running `graceMs` later (as `docker stop` does). False when
   * the child had already exited (or is already being stopped): nothing was sent.
   */
  terminate(graceMs: number): boolean;
}

/**
 * Starts the command with the terminal's stdio. Ctrl-C reaches the child from the terminal; jit
 * ignores it and stays alive to serve credentials until the child exits. SIGTERM and SIGHUP sent
 * to jit are passed on.
 */
const startChild = (command: string, args: readonly string[], env: NodeJS.ProcessEnv, io: Io): RunningChild => {
  const child = spawn(command, args, { stdio: 'inherit', env });
  let killTimer: NodeJS.Timeout | undefined;
  const exited = new Promise<number>((resolve) => {
    const ignore = () => {};
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    const onTerm = forward('SIGTERM');
    const onHup = forward('SIGHUP');
    process.on('SIGINT', ignore);
    process.on('SIGTERM', onTerm);
    process.on('SIGHUP', onHup);
    const done = (code: number) => {
      clearTimeout(killTimer);
      process.off('SIGINT', ignore);
      process.off('SIGTERM', onTerm);
      process.off('SIGHUP', onHup);
      resolve(code);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      io.err(`jit: cannot run ${command}: ${error.code === 'ENOENT' ? 'no such command' : error.message}`);
      done(127);
    });
    child.once('exit', (code, signal) => done(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
  return {
    exited,
    terminate(graceMs) {
      if (child.exitCode !== null || child.signalCode !== null || killTimer !== undefined) return false;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      return true;
    },
  };
};

export type { RunningChild };
export { startChild };
