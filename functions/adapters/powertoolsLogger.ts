import type { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { Logger } from '../ports.js';

/**
 * The Logger port on Powertools for AWS Lambda: one JSON object per line with the Lambda context
 * (request id, cold start, X-Ray trace id) added by Powertools. Fields are merged at the top level,
 * so an alert line carries `"alert": "<kind>"` where the stack's metric filters look for it.
 */
const powertoolsLogger = (logger: PowertoolsLogger): Logger => {
  const at =
    (level: 'info' | 'warn' | 'error') =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (fields === undefined) logger[level](message);
      else logger[level](message, fields);
    };
  return { info: at('info'), warn: at('warn'), error: at('error') };
};

export { powertoolsLogger };
