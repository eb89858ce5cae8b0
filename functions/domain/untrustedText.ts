/**
 * Text that came from someone else — a request body, a path, another user's grant — on its way
 * to a store, a policy engine or a person's terminal. One module, so the edge that refuses it,
 * the messages that echo it and the CLI that prints it agree on what is dangerous.
 */

/**
 * Characters no field of the API takes: C0 controls (tab and line breaks are folded by the fields
 * that accept free text, and refused by the others' own patterns), DEL, C1 controls (U+009B is a
 * one-byte CSI on some terminals) and the bidi embeddings, overrides and isolates that reorder
 * what a reader sees (CVE-2021-42574, "Trojan Source"). Bidi *marks* (LRM, RLM, ALM) only nudge
 * neutral characters and appear in real right-to-left text, so they pass.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const REFUSED = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

/** Line breaks and tabs inside free text; folded to one space so a field stays one line. */
const LINE_BREAKS = /[\t\n\r\u2028\u2029]+/g;

/** What a terminal would act on or hide instead of showing: controls, format characters, line/paragraph separators. */
const HIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|\p{Cs}/gu;

/** Code points a reader does not see: zero-width spaces and joiners, bidi marks, fillers, variation selectors. */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Cc}]/gu;

/** With the `u` flag a lone surrogate is one code point of category Cs; a paired one is not. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Built at first use: constructing a segmenter loads ICU's break rules, 15–30 ms of CPU that every
 * `jit` run (each credential_process answer) and every Lambda cold start would pay at import, while
 * only the checks of free text (reasons, minimum lengths) segment anything.
 */
let graphemes: Intl.Segmenter | undefined;

const hex = (unit: number): string => unit.toString(16).padStart(4, '0');

/** `U+001B`: how messages name a character, without printing it. */
const codePointName = (char: string): string => `U+${hex(char.codePointAt(0) ?? 0).toUpperCase()}`;

/**
 * Why `text` cannot be accepted, or undefined when it can: an unpaired UTF-16 surrogate (not
 * Unicode at all; Cedar's and most JSON parsers refuse it) or one of the {@link REFUSED} characters.
 */
const unacceptableText = (text: string): string | undefined => {
  if (LONE_SURROGATE.test(text)) {
    return 'contains an unpaired UTF-16 surrogate (a broken \\uD800–\\uDFFF escape); send well-formed Unicode';
  }
  const refused = REFUSED.exec(text);
  if (refused === null) return undefined;
  return `contains the control character ${codePointName(refused[0])} at position ${refused.index + 1}; terminal escapes, control and bidi override characters are not accepted`;
};

/** Free text kept on one line: every run of tabs and line breaks becomes one space. */
const foldLineBreaks = (text: string): string => text.replace(LINE_BREAKS, ' ');

/**
 * How long `text` is as a reader sees it: user-perceived characters (grapheme clusters: `é`, `👩‍💻`)
 * counted once each, those made only of invisible code points not at all, and spaces only between
 * visible characters. Twelve zero-width spaces are 0; "fix prod db" is 11.
 */
const visibleLength = (text: string): number => {
  let count = 0;
  let spacesSinceVisible = 0;
  graphemes ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  for (const { segment } of graphemes.segment(text)) {
    const shown = segment.replace(INVISIBLE, '');
    if (shown === '') continue;
    if (shown.trim() === '') {
      // Spaces count only between visible characters: the ends are trimmed.
      if (count > 0) spacesSinceVisible += 1;
      continue;
    }
    count += spacesSinceVisible + 1;
    spacesSinceVisible = 0;
  }
  return count;
};

/**
 * `text` as it may be shown on a terminal: every control, format or separator character (and any
 * unpaired surrogate) becomes a visible `\uXXXX` escape, one per UTF-16 unit — so an ANSI escape
 * cannot clear the screen, a newline cannot forge a line, a bidi override cannot reorder, and JSON
 * stays JSON with the same meaning. The one escaping function for untrusted text.
 */
const displaySafe = (text: string): string =>
  text.replace(HIDDEN, (char) => [...Array(char.length).keys()].map((i) => `\\u${hex(char.charCodeAt(i))}`).join(''));

/** Each line of our own multi-line output made {@link displaySafe}, the line breaks kept. */
const displaySafeLines = (text: string): string => text.split('\n').map(displaySafe).join('\n');

/** At most this many characters of one value are echoed back in a message. */
const ECHO_CHARS = 80;
/** At most this many values of a list are echoed back in a message. */
const ECHO_VALUES = 5;

/** A value from the caller, quoted for a message: display-safe and at most {@link ECHO_CHARS} characters. */
const quoteInput = (value: string): string => {
  const units = [...value];
  const shown = units.length <= ECHO_CHARS ? value : `${units.slice(0, ECHO_CHARS - 1).join('')}…`;
  return `'${displaySafe(shown)}'`;
};

/**
 * The first few values, quoted (or shown by `show`), and how many more there are:
 * `'a', 'b', 'c', 'd', 'e' and 1,495 more`.
 */
const quoteInputs = (values: readonly string[], show: (value: string) => string = quoteInput): string => {
  const shown = values.slice(0, ECHO_VALUES).map(show).join(', ');
  const more = values.length - ECHO_VALUES;
  return more > 0 ? `${shown} and ${more.toLocaleString('en-US')} more` : shown;
};

export {
  codePointName,
  displaySafe,
  displaySafeLines,
  ECHO_CHARS,
  ECHO_VALUES,
  foldLineBreaks,
  quoteInput,
  quoteInputs,
  unacceptableText,
  visibleLength,
};
