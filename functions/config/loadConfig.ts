import type { BrokerConfig } from './brokerConfig.js';
import { parseConfig } from './parseConfig.js';
import { readConfig } from './readConfig.js';

/**
 * Reads the configuration files and `policies/*.cedar` from `dir` and validates them together. Unreadable files and
 * JSON syntax errors are collected with the schema problems, so one run shows everything to fix.
 */
const loadConfig = async (dir: string): Promise<BrokerConfig> => {
  const { documents, problems } = await readConfig(dir, { policies: true });
  return parseConfig(documents, problems);
};

export { loadConfig };
