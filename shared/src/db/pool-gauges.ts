import type { Gauge } from 'prom-client';
import type { Metrics } from '../observability/metrics';

/** How a connection pool stands right now. */
export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/**
 * Points the `db_pool_*` gauges at `readStats`, which prom-client calls on every scrape, so the
 * gauges are exact when read without hooking every pool event (pg.Pool emits no event when a
 * request starts waiting). Returns a function that detaches them and sets them back to zero.
 */
export function collectPoolGauges(metrics: Metrics, readStats: () => PoolStats): () => void {
  const gauges: Array<[Gauge, keyof PoolStats]> = [
    [metrics.dbPoolTotal, 'total'],
    [metrics.dbPoolIdle, 'idle'],
    [metrics.dbPoolWaiting, 'waiting'],
  ];
  // Metrics builds the gauges; prom-client reads `collect` from the instance at scrape time.
  for (const [gauge, field] of gauges) {
    Object.assign(gauge, { collect: () => gauge.set(readStats()[field]) });
  }
  return () => {
    for (const [gauge] of gauges) {
      Object.assign(gauge, { collect: undefined });
      gauge.set(0);
    }
  };
}
