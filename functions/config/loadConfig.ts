import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BrokerConfig, CONFIG_FILES, type ConfigFileKey } from './brokerConfig.js';
import { type ConfigDocuments, parseConfig } from './parseConfig.js';

/**
 * Reads the configuration files from `dir` and validates them together. Unreadable files and
 * JSON syntax errors are collected with the schema problems, so one run shows everything to fix.
 */
const loadConfig = async (dir: string): Promise<BrokerConfig> => {
  const problems: string[] = [];
  const documents: Partial<ConfigDocuments> = {};
  for (const [key, file] of Object.entries(CONFIG_FILES) as [ConfigFileKey, string][]) {
    const path = join(dir, file);
    try {
      documents[key] = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      const reason =
        error instanceof SyntaxError
          ? `is not valid JSON (${error.message})`
          : `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
      problems.push(`${path} ${reason}`);
    }
  }
  return parseConfig(documents, problems);
};

export { loadConfig };
