import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Reads a GitHub Actions command file ($GITHUB_ENV, $GITHUB_OUTPUT, $GITHUB_STATE) the way the
 * runner does: `name=value` lines and `name<<DELIMITER` … `DELIMITER` blocks; later entries win.
 */
const parseCommandFile = (text: string): Record<string, string> => {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const end = lines.indexOf(delimiter, i + 1);
      if (end === -1) throw new Error(`${name}: no closing delimiter ${delimiter}`);
      values[name] = lines.slice(i + 1, end).join('\n');
      i = end;
    } else {
      const at = line.indexOf('=');
      if (at < 1) throw new Error(`not a command file line: ${line}`);
      values[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return values;
};

/** The values an `::add-mask::` line registered, and the output without those lines. */
const masksIn = (output: string) => {
  const lines = output.split('\n');
  const masked = lines.filter((line) => line.startsWith('::add-mask::')).map((line) => line.slice(12));
  return { masked, rest: lines.filter((line) => !line.startsWith('::add-mask::')).join('\n') };
};

/** The command files of one simulated job, empty at the start as the runner makes them. */
const runnerFiles = (dir: string) => {
  const files = {
    GITHUB_ENV: join(dir, 'github-env'),
    GITHUB_OUTPUT: join(dir, 'github-output'),
    GITHUB_STATE: join(dir, 'github-state'),
  };
  for (const path of Object.values(files)) writeFileSync(path, '');
  const read = (name: keyof typeof files) => parseCommandFile(readFileSync(files[name], 'utf8'));
  return { files, read };
};

export { masksIn, parseCommandFile, runnerFiles };
