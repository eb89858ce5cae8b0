/**
 * The line of a value in a JSON text, by its path (`['templates', 0, 'inputs']`), so a
 * configuration problem can say `ci.json:23: …`. The text has parsed as JSON already; a path that
 * goes deeper than the text (a missing field) gives the line of the deepest part that is there.
 */
const lineOfPath = (text: string, path: readonly PropertyKey[]): number => {
  let at = 0;
  let line = 1;
  const skipSpace = () => {
    while (at < text.length && ' \t\r\n'.includes(text[at] as string)) {
      if (text[at] === '\n') line++;
      at++;
    }
  };
  /** At a `"`: past the string (JSON strings hold no raw newline), returning its value. */
  const readString = (): string => {
    const start = at++;
    while (at < text.length && text[at] !== '"') at += text[at] === '\\' ? 2 : 1;
    at++;
    return JSON.parse(text.slice(start, at)) as string;
  };
  const skipValue = (): void => {
    skipSpace();
    const open = text[at];
    if (open === '"') {
      readString();
    } else if (open === '{' || open === '[') {
      at++;
      for (skipSpace(); text[at] !== '}' && text[at] !== ']'; skipSpace()) {
        if (open === '{') {
          readString();
          skipSpace();
          at++; // ':'
        }
        skipValue();
        skipSpace();
        if (text[at] === ',') at++;
      }
      at++;
    } else {
      while (at < text.length && !',]} \t\r\n'.includes(text[at] as string)) at++;
    }
  };
  /** At the value for path[depth]'s parent: finds the child and descends, or stays. */
  const descend = (depth: number): number => {
    skipSpace();
    const here = line;
    const key = path[depth];
    const open = text[at];
    if (key === undefined || (open !== '{' && open !== '[')) return here;
    at++;
    for (let index = 0; ; index++) {
      skipSpace();
      if (text[at] === '}' || text[at] === ']' || at >= text.length) return here;
      const name = open === '{' ? readString() : index;
      if (open === '{') {
        skipSpace();
        at++; // ':'
      }
      if (name === key || (open === '[' && typeof key === 'number' && index === key)) return descend(depth + 1);
      skipValue();
      skipSpace();
      if (text[at] === ',') at++;
    }
  };
  return descend(0);
};

export { lineOfPath };
