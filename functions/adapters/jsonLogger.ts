import type { Logger } from '../ports.js';

type Level = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** One JSON object per line on stderr: CloudWatch in Lambda, the terminal in the sandbox. */
const jsonLogger = (
  level: Level = 'info',
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)
): Logger => {
  const at = (lineLevel: Exclude<Level, 'silent'>) => (message: string, fields?: Record<string, unknown>) => {
    if (RANK[lineLevel] < RANK[level]) return;
    write(JSON.stringify({ level: lineLevel, time: new Date().toISOString(), message, ...fields }));
  };
  return { info: at('info'), warn: at('warn'), error: at('error') };
};

const logLevelFromEnv = (value: string | undefined): Level =>
  value !== undefined && value.toLowerCase() in RANK ? (value.toLowerCase() as Level) : 'info';

export type { Level };
export { jsonLogger, logLevelFromEnv };
