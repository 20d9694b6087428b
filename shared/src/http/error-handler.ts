import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ProblemError } from '../errors/problem';
import type { Metrics } from '../observability/metrics';
import type { AppEnv } from './app-env';

/** Driver errors that mean "a dependency is down or saturated", not "our bug". */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '57P01',
  '57P03',
  '53300',
]);

function asProblem(error: unknown, c: Context<AppEnv>): ProblemError {
  if (error instanceof ProblemError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 504) {
      return new ProblemError(504, 'timeout', 'The request took too long and was abandoned.');
    }
    return new ProblemError(error.status, 'http', error.message || 'The request could not be handled.');
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) {
    return new ProblemError(503, 'unavailable', 'A dependency is unavailable; retry shortly.', {
      retryAfterSeconds: 2,
    });
  }
  return new ProblemError(
    500,
    'internal',
    `An unexpected error occurred. Quote request id ${c.get('requestId')} when reporting it.`,
  );
}

/**
 * Turns every failure into an RFC 9457 problem+json response. Details of unexpected errors stay
 * in the log line (see request-logging); the client only sees the request id.
 */
export function problemErrorHandler(metrics: Metrics): ErrorHandler<AppEnv> {
  return function handleProblem(error, c) {
    const problem = asProblem(error, c);
    if (problem.status >= 500) c.set('failure', error);
    if (problem.status === 504)
      metrics.requestTimeoutTotal.inc({ function: c.get('functionName') ?? 'unknown' });
    return problemResponse(c, problem);
  };
}

/** The problem+json response for a problem, with `instance` set to the request path. */
export function problemResponse(c: Context, problem: ProblemError): Response {
  return c.body(
    JSON.stringify({ ...problem.toProblem(), instance: c.req.path }),
    problem.status as 500,
    problem.headers(),
  );
}
