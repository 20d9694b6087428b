import type { Kysely, Transaction } from 'kysely';
import { type ProblemError, serviceUnavailable } from '../errors/problem';
import type { Metrics } from '../observability/metrics';
import type { DB } from './schema';

/** SQLSTATE serialization_failure; CockroachDB's "restart transaction" errors carry it too. */
const SERIALIZATION_FAILURE = '40001';
const UNIQUE_VIOLATION = '23505';

export interface RetryOptions {
  /** Attempts in all, the first included. Default 5. */
  maxAttempts?: number;
  metrics?: Metrics;
}

function sqlState(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
}

/** True when the database aborted a transaction that can simply be run again (SQLSTATE 40001). */
export function isSerializationFailure(error: unknown): boolean {
  return sqlState(error) === SERIALIZATION_FAILURE;
}

/**
 * True for a unique-constraint violation (SQLSTATE 23505), from pg or PGlite alike; with
 * `constraint`, only when that constraint (or unique index) is the one violated.
 *
 * @example
 * catch (error) { if (isUniqueViolation(error, 'users_email_key')) throw conflict('email-taken', '…'); throw error; }
 */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (sqlState(error) !== UNIQUE_VIOLATION) return false;
  return constraint === undefined || (error as { constraint?: unknown }).constraint === constraint;
}

/** Jittered exponential backoff: 2–4 ms after the first failure, doubling, capped at 100 ms. */
function backoffMs(failedAttempts: number): number {
  const ceiling = Math.min(100, 4 * 2 ** (failedAttempts - 1));
  return ceiling / 2 + (Math.random() * ceiling) / 2;
}

/**
 * Contention that outlasted every retry. 503 rather than 409: the request was valid and nothing
 * about it needs to change — the same request will succeed once the competing writers are done —
 * so the client is told to come back (Retry-After), as when the connection pool is exhausted.
 * 409 would tell it the resource's state rejects the request, which is not what happened.
 */
function contentionOutlastedRetries(cause: unknown): ProblemError {
  const problem = serviceUnavailable('The database is busy; retry shortly.', 1);
  problem.cause = cause;
  return problem;
}

/**
 * Runs `attempt` again, after a jittered backoff, each time it fails with a serialization
 * failure; any other error passes straight through. After `maxAttempts` it throws a 503.
 * `attempt` must be safe to repeat: a whole transaction, never a part of one.
 */
export async function retryOnSerializationFailure<T>(
  attempt: () => Promise<T>,
  { maxAttempts = 5, metrics }: RetryOptions = {},
): Promise<T> {
  for (let attempts = 1; ; attempts++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isSerializationFailure(error)) throw error;
      if (attempts >= maxAttempts) throw contentionOutlastedRetries(error);
      metrics?.dbTransactionRetriesTotal.inc();
      await new Promise((resolve) => setTimeout(resolve, backoffMs(attempts)));
    }
  }
}

/**
 * Runs `work` in a SERIALIZABLE transaction, retrying the whole of it on serialization failures
 * (SPEC §7: CockroachDB demands it). `work` may therefore run more than once: keep side effects
 * other than SQL (mail, pub/sub) outside it.
 *
 * @example
 * const user = await withTransaction(db, (trx) => createUser(trx, input), { metrics });
 */
export function withTransaction<T>(
  db: Kysely<DB>,
  work: (trx: Transaction<DB>) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  return retryOnSerializationFailure(
    () => db.transaction().setIsolationLevel('serializable').execute(work),
    options,
  );
}

/**
 * Runs `work` in a READ COMMITTED transaction, retried like {@link withTransaction}. For work that
 * first locks the row every writer of the same thing locks (`SELECT … FOR UPDATE`, or a guarded
 * `UPDATE`) and reads only after it: the lock serializes those writers, and each reads the latest
 * committed state. At SERIALIZABLE, PostgreSQL would abort every writer that waited for the lock
 * (40001) once the holder commits; CockroachDB runs it at SERIALIZABLE unless READ COMMITTED is
 * enabled there, and the retry covers what it aborts.
 */
export function withReadCommitted<T>(
  db: Kysely<DB>,
  work: (trx: Transaction<DB>) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  return retryOnSerializationFailure(
    () => db.transaction().setIsolationLevel('read committed').execute(work),
    options,
  );
}
