/**
 * `npm run migrate`: brings the schemas up to date and exits — the one-shot `migrate` service of
 * docker-compose.production.yml that every other service waits for. SQL migrations on
 * DATABASE_URL (or the embedded PGlite under DATA_DIR), and, when CASSANDRA_CONTACT_POINTS is
 * set, the keyspace and tables of the message store. Safe to run again and concurrently: both
 * migrators take their own lock and skip what was applied.
 */
import { ConfigError, loadConfig } from '@secureconnect/shared/config/env';
import { createLogger } from '@secureconnect/shared/observability/logger';
import { Metrics } from '@secureconnect/shared/observability/metrics';
import { Platform } from '@secureconnect/shared/platform/platform';

async function migrate(): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`migrate: configuration error: ${error.message}\n`);
    return 1;
  }
  const logger = createLogger({ level: config.LOG_LEVEL, service: 'migrate' });
  const platform = new Platform(config, logger, new Metrics({ service: 'migrate' }));
  try {
    await platform.start(['sql', 'messages']);
    logger.info(
      {
        sql: config.DATABASE_URL ? 'postgres' : 'pglite (embedded)',
        messages: config.CASSANDRA_CONTACT_POINTS.length > 0 ? 'cassandra' : 'sql',
      },
      'schemas are up to date',
    );
    return 0;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`migrate: failed: ${reason}\n`);
    return 1;
  } finally {
    await platform.close();
  }
}

process.exitCode = await migrate();
