import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PolicyFile } from '../policy/policySet.js';
import {
  ANOMALY_FILE,
  CI_FILE,
  CONFIG_FILES,
  type ConfigFileKey,
  OPTIONAL_CONFIG_FILES,
  POLICIES_DIR,
} from './brokerConfig.js';
import type { ConfigDocuments } from './checkConfig.js';

/**
 * Reads the configuration files from `dir`, and `policies/*.cedar` when `policies` says so.
 * Unreadable files and JSON syntax errors are returned as problems, to be reported with the schema
 * problems (checkConfig.ts), so one run shows everything to fix.
 */
const readConfig = async (
  dir: string,
  options: { policies: boolean }
): Promise<{ documents: Partial<ConfigDocuments>; problems: string[] }> => {
  const problems: string[] = [];
  const documents: Partial<ConfigDocuments> = {};
  for (const [key, file] of Object.entries(CONFIG_FILES) as [ConfigFileKey, string][]) {
    const need = OPTIONAL_CONFIG_FILES.has(key) ? 'optional' : 'required';
    const document = await readJson(join(dir, file), problems, need);
    if (document !== undefined) documents[key] = document;
  }
  const ci = await readJsonText(join(dir, CI_FILE), problems, 'optional');
  // Kept as text: its problems are reported by line.
  const anomaly = await readText(join(dir, ANOMALY_FILE), problems);
  const policies = options.policies ? await readPolicyFiles(dir, problems) : undefined;
  return {
    documents: {
      ...documents,
      ...(ci === undefined ? {} : { ci: ci.document, ciSource: ci.text }),
      ...(anomaly === undefined ? {} : { anomaly }),
      ...(policies === undefined ? {} : { policies }),
    },
    problems,
  };
};

/** An optional text file: undefined when missing; anything else unreadable is a problem. */
const readText = async (path: string, problems: string[]): Promise<string | undefined> => {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') problems.push(`${path} cannot be read (${code ?? (error as Error).message})`);
    return undefined;
  }
};

/** One JSON file; an optional one may be missing (undefined), anything else unreadable is a problem. */
const readJson = async (path: string, problems: string[], need: 'required' | 'optional'): Promise<unknown> =>
  (await readJsonText(path, problems, need))?.document;

/** A JSON file and its text (problems can then name lines). */
const readJsonText = async (
  path: string,
  problems: string[],
  need: 'required' | 'optional'
): Promise<{ document: unknown; text: string } | undefined> => {
  try {
    const text = await readFile(path, 'utf8');
    return { document: JSON.parse(text), text };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (need === 'optional' && code === 'ENOENT') return undefined;
    const reason =
      error instanceof SyntaxError
        ? `is not valid JSON (${error.message})`
        : `cannot be read (${code ?? (error as Error).message})`;
    problems.push(`${path} ${reason}`);
    return undefined;
  }
};

/** `policies/*.cedar`, in name order, each named as `policies/<file>` in messages. */
const readPolicyFiles = async (dir: string, problems: string[]): Promise<PolicyFile[] | undefined> => {
  const folder = join(dir, POLICIES_DIR);
  let names: string[];
  try {
    names = (await readdir(folder)).filter((n) => n.endsWith('.cedar')).sort();
  } catch (error) {
    problems.push(`${folder} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    return undefined;
  }
  const files: PolicyFile[] = [];
  for (const name of names) {
    try {
      files.push({ name: `${POLICIES_DIR}/${name}`, text: await readFile(join(folder, name), 'utf8') });
    } catch (error) {
      problems.push(
        `${join(folder, name)} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`
      );
    }
  }
  return files;
};

export { readConfig };
