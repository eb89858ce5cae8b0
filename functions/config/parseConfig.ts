import { compilePolicies } from '../policy/policySet.js';
import type { BrokerConfig } from './brokerConfig.js';
import { type ConfigDocuments, checkConfig } from './checkConfig.js';

/**
 * Validates the whole configuration, its policies included, and reports every problem at once
 * (checkConfig.ts). Throws ConfigurationError; returns a config the broker can trust.
 */
const parseConfig = (documents: Partial<ConfigDocuments>, earlierProblems: readonly string[] = []): BrokerConfig =>
  checkConfig(documents, earlierProblems, compilePolicies);

export type { ConfigDocuments };
export { parseConfig };
