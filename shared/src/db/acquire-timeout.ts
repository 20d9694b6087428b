import { type ProblemError, serviceUnavailable } from '../errors/problem';
import type { Metrics } from '../observability/metrics';

/**
 * The answer when no connection frees up within the acquire timeout: a counted 503 with
 * Retry-After, so an exhausted pool sheds load instead of queueing requests until they hang.
 */
export function connectionAcquireTimedOut(metrics: Metrics, cause?: unknown): ProblemError {
  metrics.dbPoolAcquireTimeoutsTotal.inc();
  const problem = serviceUnavailable('The database is busy; retry shortly.', 1);
  problem.cause = cause;
  return problem;
}
