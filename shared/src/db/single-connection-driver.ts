import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type { Metrics } from '../observability/metrics';
import { connectionAcquireTimedOut } from './acquire-timeout';
import { ConnectionGate } from './connection-gate';
import type { PoolStats } from './pool-gauges';

/** The parts of a Kysely driver that SingleConnectionDriver delegates to. */
export type InnerDriver = Pick<
  Driver,
  'init' | 'acquireConnection' | 'releaseConnection' | 'commitTransaction' | 'rollbackTransaction' | 'destroy'
>;

/**
 * Makes a driver over a single-connection database (PGlite) behave like a pool of one:
 * a connection — and so a whole transaction — belongs to one caller at a time, so concurrent
 * transactions queue instead of interleaving their statements on the one session. A caller that
 * waits longer than the acquire timeout gets the same 503 as from an exhausted PostgreSQL pool.
 *
 * It also begins transactions with the isolation level Kysely asks for and reports affected
 * row counts, both of which kysely-pglite's driver drops.
 */
export class SingleConnectionDriver implements Driver {
  readonly #inner: InnerDriver;
  readonly #acquireTimeoutMs: number;
  readonly #metrics: Metrics;
  readonly #gate = new ConnectionGate();

  constructor(inner: InnerDriver, acquireTimeoutMs: number, metrics: Metrics) {
    this.#inner = inner;
    this.#acquireTimeoutMs = acquireTimeoutMs;
    this.#metrics = metrics;
  }

  get stats(): PoolStats {
    return { total: 1, idle: this.#gate.held ? 0 : 1, waiting: this.#gate.waiting };
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (!(await this.#gate.acquire(this.#acquireTimeoutMs))) {
      throw connectionAcquireTimedOut(this.#metrics);
    }
    try {
      return reportingAffectedRows(await this.#inner.acquireConnection());
    } catch (error) {
      this.#gate.release();
      throw error;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.#inner.releaseConnection(connection);
    } finally {
      this.#gate.release();
    }
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const characteristics = [
      settings.isolationLevel && `isolation level ${settings.isolationLevel}`,
      settings.accessMode,
    ].filter(Boolean);
    await connection.executeQuery(CompiledQuery.raw(['start transaction', ...characteristics].join(' ')));
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(connection);
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}

/** PGlite counts affected rows as `affectedRows`; Kysely reads `numAffectedRows`. */
function reportingAffectedRows(connection: DatabaseConnection): DatabaseConnection {
  return {
    async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
      const result: QueryResult<R> & { affectedRows?: number } = await connection.executeQuery<R>(query);
      if (result.affectedRows === undefined) return result;
      return { ...result, numAffectedRows: BigInt(result.affectedRows) };
    },
    streamQuery: (query, chunkSize) => connection.streamQuery(query, chunkSize),
  };
}
