import { UsageError } from '../errors.js';

/**
 * The part of the AWS config file jit owns, between two marker lines. Everything outside the
 * markers is the user's and is never touched; running setup-profile again replaces the block in place.
 */
const beginMarker = (name: string) => `# >>> jit-broker ${name} >>>`;
const endMarker = (name: string) => `# <<< jit-broker ${name} <<<`;

const PROFILE_NAME = /^[A-Za-z0-9][\w.-]{0,63}$/;

const profileSectionFor = (name: string) => `[profile ${name}]`;

/** Single-quotes an argument for the POSIX-style split the AWS CLI and SDKs apply to credential_process. */
const shellQuote = (arg: string): string => (/^[\w./:@=+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);

/** `settings` follow credential_process in the profile: region, endpoint_url. */
const renderBlock = (
  name: string,
  credentialProcess: readonly string[],
  comment: string,
  settings: readonly (readonly [string, string])[] = []
): string =>
  [
    beginMarker(name),
    `# ${comment}`,
    profileSectionFor(name),
    `credential_process = ${credentialProcess.map(shellQuote).join(' ')}`,
    ...settings.map(([key, value]) => `${key} = ${value}`),
    endMarker(name),
  ].join('\n');

/** One profile jit wrote: its name and its credential_process arguments, unquoted. */
interface JitProfile {
  readonly name: string;
  readonly credentialProcess: readonly string[];
}

/** Splits a credential_process line as shellQuote wrote it (plain words and single-quoted ones). */
const unquoteWords = (line: string): string[] =>
  [...line.matchAll(/(?:'((?:[^']|'\\'')*)'|(\S+))/g)].map(([, quoted, plain]) =>
    quoted === undefined ? (plain as string) : quoted.replace(/'\\''/g, "'")
  );

/** Every jit-broker block in the file, in order. */
const jitProfiles = (text: string): JitProfile[] => {
  const profiles: JitProfile[] = [];
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    const name = /^# >>> jit-broker (\S+) >>>$/.exec(line)?.[1];
    if (name === undefined) continue;
    const end = lines.indexOf(endMarker(name), index);
    const process = lines.slice(index, end === -1 ? undefined : end).find((l) => l.startsWith('credential_process = '));
    profiles.push({
      name,
      credentialProcess: process ? unquoteWords(process.slice('credential_process = '.length)) : [],
    });
  }
  return profiles;
};

/** `text` without the block of profile `name` (and the blank line that set it apart). */
const removeProfileBlock = (text: string, name: string): string => {
  const lines = text.split('\n');
  const begin = lines.indexOf(beginMarker(name));
  const end = lines.indexOf(endMarker(name));
  if (begin === -1 || end < begin) return text;
  const from = begin > 0 && lines[begin - 1]?.trim() === '' ? begin - 1 : begin;
  return [...lines.slice(0, from), ...lines.slice(end + 1)].join('\n');
};

/**
 * Returns `text` with the block for profile `name` set to `block`: replaced where it is, or
 * appended after one blank line. Refuses when the same profile is defined outside any jit block.
 */
const upsertProfileBlock = (text: string, name: string, block: string): string => {
  if (!PROFILE_NAME.test(name)) {
    throw new UsageError(`'${name}' cannot be an AWS profile name here: use letters, digits, '.', '_' and '-'`);
  }
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  const begin = lines.indexOf(beginMarker(name));
  const end = lines.indexOf(endMarker(name));
  if (begin !== -1 && end > begin) {
    return [...lines.slice(0, begin), block, ...lines.slice(end + 1)].join('\n').concat('\n');
  }
  if (begin !== -1 || end !== -1) {
    throw new UsageError(
      `the AWS config file has a broken jit-broker block for ${name} (one marker is missing): fix it by hand`
    );
  }
  if (lines.some((line) => line.trim() === profileSectionFor(name))) {
    throw new UsageError(
      `the AWS config file already defines ${profileSectionFor(name)} outside a jit-broker block; remove it or pick another --profile`
    );
  }
  const separator = lines.length === 0 ? [] : lines[lines.length - 1]?.trim() === '' ? [] : [''];
  return [...lines, ...separator, block].join('\n').concat('\n');
};

export type { JitProfile };
export { beginMarker, jitProfiles, removeProfileBlock, renderBlock, shellQuote, upsertProfileBlock };
