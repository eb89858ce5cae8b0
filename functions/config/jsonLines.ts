/**
 * Where things are in a JSON text, for configuration messages that name a line
 * (`anomaly.json:7: rules[1].window: …`). JSON.parse keeps no positions, so this walks the text once.
 */

/**
 * The 1-based line of every value in `text` (already valid JSON), by its path written as
 * describeIssues writes it: `rules[1].window`, `''` for the whole document.
 */
const jsonValueLines = (text: string): Map<string, number> => {
  const lines = new Map<string, number>();
  let at = 0;
  let line = 1;
  const skipSpace = () => {
    while (at < text.length && /\s/.test(text.charAt(at))) {
      if (text.charAt(at) === '\n') line++;
      at++;
    }
  };
  const readString = (): string => {
    const start = at++;
    while (text.charAt(at) !== '"') at += text.charAt(at) === '\\' ? 2 : 1;
    at++;
    return JSON.parse(text.slice(start, at)) as string;
  };
  /** After an element: `,` goes on, the closing bracket ends the container. */
  const more = (close: string): boolean => {
    skipSpace();
    return text.charAt(at++) !== close;
  };
  const readValue = (path: string): void => {
    skipSpace();
    lines.set(path, line);
    const first = text.charAt(at);
    if (first === '{') {
      at++;
      skipSpace();
      if (text.charAt(at) === '}') {
        at++;
        return;
      }
      do {
        skipSpace();
        const key = readString();
        skipSpace();
        at++; // the colon
        readValue(path === '' ? key : `${path}.${key}`);
      } while (more('}'));
    } else if (first === '[') {
      at++;
      skipSpace();
      if (text.charAt(at) === ']') {
        at++;
        return;
      }
      let index = 0;
      do readValue(`${path}[${index++}]`);
      while (more(']'));
    } else if (first === '"') {
      readString();
    } else {
      while (at < text.length && !/[\s,\]}]/.test(text.charAt(at))) at++;
    }
  };
  readValue('');
  return lines;
};

/** A path as describeIssues writes it: `['templates', 0, 'inputs']` → `templates[0].inputs`. */
const pathText = (path: readonly PropertyKey[]): string =>
  path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text === '' ? String(key) : `${text}.${String(key)}`),
    ''
  );

/**
 * The line of the value at `path` in `text` (already valid JSON), so a configuration problem can
 * say `ci.json:23: …`. A path that goes deeper than the text (a missing field) gives the line of
 * the deepest part that is there.
 */
const lineOfPath = (text: string, path: readonly PropertyKey[]): number => {
  const lines = jsonValueLines(text);
  for (let depth = path.length; depth >= 0; depth--) {
    const line = lines.get(pathText(path.slice(0, depth)));
    if (line !== undefined) return line;
  }
  return 1;
};

/** The line of a JSON.parse error, from the position V8 puts in its message (1 when it gives none). */
const syntaxErrorLine = (text: string, error: SyntaxError): number => {
  const lineAndColumn = /\(line (\d+) column \d+\)/.exec(error.message);
  if (lineAndColumn) return Number(lineAndColumn[1]);
  const position = /at position (\d+)/.exec(error.message);
  return position ? text.slice(0, Number(position[1])).split('\n').length : 1;
};

export { jsonValueLines, lineOfPath, syntaxErrorLine };
