/**
 * `npm run migrate` as the compose file's one-shot service runs it: a process configured only by
 * its environment that brings the schemas up to date and exits 0, or exits 1 with one line.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../shared/src/testing/database';
import { ROOT } from './lib/function-catalog';

const run = promisify(execFile);

async function migrate(env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run migrate', () => {
  it.runIf(process.env.SC_TEST_DATABASE_URL)(
    'creates every table on an empty database, and again changes nothing',
    async () => {
      const database = await createTestDatabase();
      try {
        const first = await migrate({ DATABASE_URL: database.url as string });
        expect(first.code).toBe(0);
        expect(first.stdout).toMatch(/"msg":"schemas are up to date"/);
        const tables = await sql<{
          n: string;
        }>`select count(*) as n from information_schema.tables where table_schema = 'public'`.execute(
          database.db,
        );
        expect(Number(tables.rows[0]?.n)).toBeGreaterThan(20);
        const applied = await sql<{ n: string }>`select count(*) as n from kysely_migration`.execute(
          database.db,
        );
        const again = await migrate({ DATABASE_URL: database.url as string });
        expect(again.code).toBe(0);
        const still = await sql<{ n: string }>`select count(*) as n from kysely_migration`.execute(
          database.db,
        );
        expect(still.rows[0]?.n).toBe(applied.rows[0]?.n);
      } finally {
        await database.close();
      }
    },
  );

  it('migrates the embedded database under DATA_DIR with nothing configured', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sc-migrate-'));
    try {
      const result = await migrate({ DATA_DIR: dataDir });
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/"sql":"pglite \(embedded\)"/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('exits 1 with one line for a bad configuration or an unreachable database', async () => {
    const bad = await migrate({ DATABASE_URL: 'mysql://somewhere' });
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toEqual([
      'migrate: configuration error: DATABASE_URL: must use postgres:// or postgresql://',
    ]);
    const unreachable = await migrate({
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      DB_POOL_ACQUIRE_TIMEOUT_MS: '500',
    });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
    expect(unreachable.stderr).toMatch(/^migrate: failed: /);
  });
});
