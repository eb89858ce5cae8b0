import type { Alerts, Logger } from '../ports.js';

/** Alerts as error-level log lines with an `alert` field, for metric filters and the sandbox console. */
const loggingAlerts = (logger: Logger): Alerts => ({
  raise: async (kind, details) => {
    logger.error(`ALERT ${kind}`, { alert: kind, ...details });
  },
});

export { loggingAlerts };
