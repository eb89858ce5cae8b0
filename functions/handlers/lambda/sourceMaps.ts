import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * Stack traces in source terms, for the errors a function logs as unexpected — without
 * `--enable-source-maps`. That flag makes Node install its own stack formatter for the whole
 * process, so every stack any error renders (expected ones too: a refused request, a lost
 * conditional write) is mapped, each map file read and parsed on first use, in the invocation's
 * time. Here a map (`<file>.map`, shipped beside each bundle file, infra/brokerFunction.ts) is read
 * only when an unexpected error's stack names its file, once per process.
 */
const maps = new Map<string, SourceMap | undefined>();

const mapOf = (file: string): SourceMap | undefined => {
  if (!maps.has(file)) {
    try {
      maps.set(file, new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))));
    } catch {
      maps.set(file, undefined); // no map beside it (not a bundle file): the frame stays as it is
    }
  }
  return maps.get(file);
};

/** `file:///var/task/index.mjs:1:2345` or `/var/task/chunk-X.mjs:1:99`, in a stack frame. */
const FRAME_POSITION = /((?:file:\/\/)?\/[^\s():]+\.mjs):(\d+):(\d+)/g;

/** `stack` with each position in a bundle file replaced by the source file, line and column it came from. */
const sourceMappedStack = (stack: string): string =>
  stack.replace(FRAME_POSITION, (position, file: string, line: string, column: string) => {
    const path = file.startsWith('file://') ? fileURLToPath(file) : file;
    const entry = mapOf(path)?.findEntry(Number(line) - 1, Number(column) - 1);
    if (entry === undefined || !('originalSource' in entry)) return position;
    const source = entry.originalSource.replace(/^(?:\.\.\/)+/, '');
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });

export { sourceMappedStack };
