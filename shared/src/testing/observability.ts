import type { Metric } from 'prom-client';
import { createLogger, type Logger } from '../observability/logger';
import { Metrics } from '../observability/metrics';

/** A silent logger and a fresh metrics registry, so tests can read the counters they cause. */
export function testObservability(): { logger: Logger; metrics: Metrics } {
  return { logger: createLogger({ level: 'silent', service: 'test' }), metrics: new Metrics() };
}

/**
 * The current value of one series of `metric`, 0 when it has none yet; for a histogram, the
 * number of observations.
 */
export async function metricValue(metric: Metric, labels: Record<string, string> = {}): Promise<number> {
  const { name, values } = await metric.get();
  // Histograms list buckets, sum and count as named series; counters and gauges leave the name out.
  const series = values.find(
    (value: { metricName?: string; labels: Record<string, unknown> }) =>
      [undefined, `${name}_count`].includes(value.metricName) &&
      Object.entries(labels).every(([label, expected]) => value.labels[label] === expected),
  );
  return series?.value ?? 0;
}
