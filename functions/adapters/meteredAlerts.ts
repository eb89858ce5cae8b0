import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Alerts } from '../ports.js';

/**
 * Alerts that are also counted as CloudWatch metrics (EMF, through Powertools): `alert-<kind>`.
 * The log line stays the source of truth (the stack's alarms read it through metric filters);
 * the metric is for dashboards.
 */
const meteredAlerts = (alerts: Alerts, metrics: Metrics): Alerts => ({
  raise: async (kind, details) => {
    metrics.addMetric(`alert-${kind}`, MetricUnit.Count, 1);
    await alerts.raise(kind, details);
  },
});

export { meteredAlerts };
