import { Socket } from 'node:net';
import pg from 'pg';

/**
 * Decides once per run which backends the tests use and says so. Real PostgreSQL and Redis
 * when reachable (CI always has them); otherwise the embedded stand-ins, loudly — a run never
 * passes silently without testing.
 *
 * Test files read `SC_TEST_DATABASE_URL` / `SC_TEST_REDIS_URL`: empty means embedded.
 */
const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

async function postgresVersion(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('show server_version');
    return rows[0]?.server_version ?? 'unknown';
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

function redisVersion(url: string): Promise<string | null> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = new Socket();
    let answer = '';
    const done = (value: string | null) => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(2000, () => done(null));
    socket.on('error', () => done(null));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      const match = /redis_version:([^\r\n]+)/.exec(answer);
      if (match) done(match[1] ?? 'unknown');
    });
    socket.connect(Number(port || 6379), hostname, () => socket.write('INFO server\r\n'));
  });
}

export default async function setup() {
  const databaseUrl = process.env.TEST_DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const redisUrl = process.env.TEST_REDIS_URL ?? DEFAULT_REDIS_URL;
  const [pgVersion, redis] = await Promise.all([postgresVersion(databaseUrl), redisVersion(redisUrl)]);

  process.env.SC_TEST_DATABASE_URL = pgVersion ? databaseUrl : '';
  process.env.SC_TEST_REDIS_URL = redis ? redisUrl : '';

  const lines = [
    pgVersion
      ? `SQL: PostgreSQL ${pgVersion} at ${new URL(databaseUrl).host} (a fresh database per test file)`
      : `SQL: PGlite (embedded) — no PostgreSQL reachable at ${new URL(databaseUrl).host}`,
    redis
      ? `KV: Redis ${redis} at ${new URL(redisUrl).host} (a fresh key prefix per test file)`
      : `KV: in-process store (embedded) — no Redis reachable at ${new URL(redisUrl).host}`,
  ];
  console.log(`\nTest backends\n  ${lines.join('\n  ')}\n`);
}
