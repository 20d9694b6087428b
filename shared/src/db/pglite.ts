import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Metrics } from '../observability/metrics';
import { postgresDialect } from './dialect';
import { type InnerDriver, SingleConnectionDriver } from './single-connection-driver';

export interface PGliteOptions {
  dataDir: string;
  acquireTimeoutMs: number;
  metrics: Metrics;
}

/**
 * Embedded PostgreSQL (PGlite) persisted under `<dataDir>/pglite`, behind Kysely's PostgreSQL
 * dialect. PGlite and kysely-pglite are imported here, on demand, so a process configured with
 * DATABASE_URL never loads the WASM build.
 */
export async function createPGliteDialect(options: PGliteOptions) {
  const directory = join(options.dataDir, 'pglite');
  await mkdir(directory, { recursive: true });
  const [{ PGlite, types }, { KyselyPGlite }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('kysely-pglite'),
  ]);
  const client = await PGlite.create({
    dataDir: directory,
    // pg returns int8 (counts, sums) as strings; PGlite would return numbers. Code that runs on
    // PGlite in development must see exactly what it sees on PostgreSQL in production.
    parsers: { [types.INT8]: (value: string) => value },
  });
  // kysely-pglite is typed against its own Kysely 0.27; its driver only reads a compiled query's
  // `sql` and `parameters`, which are the same in 0.28.
  const pgliteDriver = new KyselyPGlite(client).dialect.createDriver() as unknown as InnerDriver;
  const driver = new SingleConnectionDriver(pgliteDriver, options.acquireTimeoutMs, options.metrics);
  return { dialect: postgresDialect(() => driver), stats: () => driver.stats };
}
