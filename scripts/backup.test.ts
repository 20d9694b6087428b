/**
 * scripts/backup-sql.sh and scripts/restore-sql.sh, as an operator (or the compose file's `backup`
 * service) runs them: a database the application filled through its own API, dumped with the
 * backup script and restored into a fresh database with the restore script, must come back
 * table for table and row for row, and the application must work on it. Their CockroachDB
 * branch (BACKUP … INTO / RESTORE … FROM LATEST IN) cannot run here, no CockroachDB being
 * available: a stand-in psql records the statements the scripts send instead.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { registerAccount, type TestAccount } from '@secureconnect/shared/testing/accounts';
import { keyUpload } from '@secureconnect/shared/testing/keys';
import { killAllProcesses, spawnProcess } from '@secureconnect/shared/testing/processes';
import { startTestServer, type TestServer } from '@secureconnect/shared/testing/test-server';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGroup, sendMessage } from '../tests/support/conversations';
import { createPoll, vote } from '../tests/support/polls';
import { loadFunctions, ROOT } from './lib/function-catalog';

const BACKUP = join(ROOT, 'scripts/backup-sql.sh');
const RESTORE = join(ROOT, 'scripts/restore-sql.sh');

const serverUrl = process.env.SC_TEST_DATABASE_URL || undefined;
const clientTools =
  spawnSync('sh', ['-c', 'command -v pg_dump && command -v pg_restore && command -v psql']).status === 0;
const runnable = Boolean(serverUrl && clientTools);

/** Runs one of the scripts with exactly `env` (plus PATH), as the backup container would. */
async function script(file: string, args: string[], env: Record<string, string>) {
  const run = spawnProcess('bash', [file, ...args], { cwd: tmpdir(), env });
  const code = await run.exited;
  return { code, stdout: run.stdout.filter(Boolean), stderr: run.stderr.filter((line) => line.trim()) };
}

/** Runs `statement` on `url` and hands back its rows. */
async function query<T extends Record<string, unknown>>(url: string, statement: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(statement)).rows;
  } finally {
    await client.end();
  }
}

/** Databases this file created on the run's server, dropped at the end. */
const created: string[] = [];

/** An empty database of its own on the run's PostgreSQL server, as an operator's `createdb`. */
async function emptyDatabase(): Promise<string> {
  const name = `sc_test_restore_${randomBytes(6).toString('hex')}`;
  await query(serverUrl as string, `create database ${name}`);
  created.push(name);
  const url = new URL(serverUrl as string);
  url.pathname = `/${name}`;
  return url.href;
}

/**
 * Everything restore must bring back, as comparable data: the tables with each one's row count
 * and a digest of all its rows, the sequences' positions and the indexes.
 */
async function snapshot(url: string) {
  const tables = await query<{ name: string }>(
    url,
    `select table_name as name from information_schema.tables
     where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
  );
  const rows: Record<string, { count: number; digest: string }> = {};
  for (const { name } of tables) {
    const [row] = await query<{ count: string; digest: string }>(
      url,
      `select count(*) as count, md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as digest
       from public."${name}" t`,
    );
    rows[name] = { count: Number(row?.count), digest: row?.digest as string };
  }
  const sequences = await query(
    url,
    `select sequencename, last_value from pg_sequences where schemaname = 'public' order by 1`,
  );
  const indexes = await query(
    url,
    `select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by 1, 2`,
  );
  return { rows, sequences, indexes };
}

let workDir: string;
let server: TestServer | undefined;
let sourceUrl: string;
let ann: TestAccount;

describe.skipIf(!runnable && !process.env.CI)('backup-sql.sh and restore-sql.sh on PostgreSQL', () => {
  beforeAll(async () => {
    if (!runnable)
      throw new Error('CI must provide PostgreSQL and pg_dump, pg_restore, psql (postgresql-client)');
    workDir = await mkdtemp(join(tmpdir(), 'sc-backup-'));
    // A fresh, migrated database filled through the API: accounts and sessions, a group with its
    // members, messages, a poll with a vote, prekeys.
    server = await startTestServer({ functions: await loadFunctions() });
    sourceUrl = server.server.platform.config.DATABASE_URL as string;
    const live = server;
    const [first, bob, cleo] = await Promise.all([
      registerAccount(live),
      registerAccount(live),
      registerAccount(live),
    ]);
    ann = first as TestAccount;
    const group = await createGroup(live, ann, [bob as TestAccount, cleo as TestAccount]);
    for (const sender of [ann, bob, cleo, ann] as TestAccount[]) await sendMessage(live, sender, group.id);
    const poll = await createPoll(live, ann, group.id);
    expect((await vote(live, bob as TestAccount, poll.id, [poll.options[0]?.id as string])).status).toBe(200);
    const keys = await live.request('PUT', '/v1/keys', { token: ann.accessToken, body: keyUpload(5) });
    expect(keys.status).toBe(204);
  });

  afterAll(async () => {
    await killAllProcesses();
    await server?.close();
    for (const name of created)
      await query(serverUrl as string, `drop database if exists ${name} with (force)`).catch(() => {});
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('a backup restored into a fresh database holds every row of every table, and the app logs in on it', async () => {
    const backups = join(workDir, 'backups');
    const backup = await script(BACKUP, [], { DATABASE_URL: sourceUrl, BACKUP_DIR: backups });
    expect(backup.stderr).toEqual([]);
    expect(backup.code).toBe(0);
    const database = new URL(sourceUrl).pathname.slice(1);
    expect(backup.stdout).toEqual([
      expect.stringMatching(new RegExp(`^${backups}/${database}-\\d{8}T\\d{6}Z\\.dump$`)),
    ]);
    const dump = backup.stdout[0] as string;
    expect(readdirSync(backups)).toEqual([basename(dump)]);

    const targetUrl = await emptyDatabase();
    const restore = await script(RESTORE, [dump, targetUrl], {});
    expect(restore.stderr).toEqual([]);
    expect(restore.code).toBe(0);
    expect(restore.stdout).toEqual([`restore-sql: ${dump} restored`]);

    const [source, restored] = await Promise.all([snapshot(sourceUrl), snapshot(targetUrl)]);
    // Not a comparison of two empty databases.
    expect(Object.keys(source.rows).length).toBeGreaterThan(20);
    expect(source.rows.users?.count).toBe(3);
    expect(source.rows.messages?.count).toBeGreaterThanOrEqual(4);
    expect(restored).toEqual(source);

    // The application on the restored database: the same account logs in with the same password.
    const login = (await loadFunctions()).filter((fn) => fn.name === 'auth-login');
    const onRestored = await startTestServer({ functions: login, env: { DATABASE_URL: targetUrl } });
    try {
      const session = await onRestored.request('POST', '/v1/auth/login', {
        body: { email: ann.email, password: ann.password },
      });
      expect(session.status).toBe(200);
      expect(session.body.user.id).toBe(ann.id);
    } finally {
      await onRestored.close();
    }
  });

  it('reads DATABASE_URL_FILE, and keeps the newest BACKUP_KEEP dumps of this database only', async () => {
    const backups = join(workDir, 'kept');
    await mkdir(backups);
    const database = new URL(sourceUrl).pathname.slice(1);
    const older = ['20240101T000000Z', '20250101T000000Z', '20250601T000000Z'].map(
      (time) => `${database}-${time}.dump`,
    );
    // Another database's dumps (named with this one's name as a prefix) and anything else stay.
    const others = [`${database}-staging-20200101T000000Z.dump`, 'README.txt'];
    for (const name of [...older, ...others]) await writeFile(join(backups, name), 'x');
    const urlFile = join(workDir, 'database-url');
    await writeFile(urlFile, `${sourceUrl}\n`);

    const backup = await script(BACKUP, [], {
      DATABASE_URL_FILE: urlFile,
      BACKUP_DIR: backups,
      BACKUP_KEEP: '2',
    });
    expect(backup.stderr).toEqual([]);
    expect(backup.code).toBe(0);
    const newest = basename(backup.stdout[0] as string);
    expect(readdirSync(backups).sort()).toEqual([newest, older[2], ...others].sort());
  });

  it('an unreachable database: exit 1, one line on stderr, no file written', async () => {
    const backups = join(workDir, 'unreachable');
    const backup = await script(BACKUP, [], {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      BACKUP_DIR: backups,
    });
    expect(backup.code).toBe(1);
    expect(backup.stderr).toHaveLength(1);
    expect(backup.stderr[0]).toMatch(/^backup-sql: cannot query the database: .*Connection refused/);
    expect(backup.stdout).toEqual([]);
    expect(readdirSync(workDir)).not.toContain('unreachable');

    const unreadable = await script(BACKUP, [], { DATABASE_URL_FILE: join(workDir, 'missing') });
    expect(unreadable.code).toBe(1);
    expect(unreadable.stderr).toEqual([
      `backup-sql: DATABASE_URL_FILE: cannot read ${join(workDir, 'missing')}`,
    ]);
  });

  it('restore refuses a database that is not empty, and a broken dump leaves the target empty', async () => {
    const backups = join(workDir, 'refuse');
    const backup = await script(BACKUP, [], { DATABASE_URL: sourceUrl, BACKUP_DIR: backups });
    const dump = backup.stdout[0] as string;
    const before = await snapshot(sourceUrl);

    const over = await script(RESTORE, [dump, sourceUrl], {});
    expect(over.code).toBe(1);
    expect(over.stderr).toEqual([
      expect.stringMatching(
        /^restore-sql: the target database is not empty \(\d+ relations\): restore into a new one$/,
      ),
    ]);
    expect(await snapshot(sourceUrl)).toEqual(before);

    // Cut short, as a copy that stopped halfway: pg_restore fails inside its one transaction.
    const truncated = join(workDir, 'truncated.dump');
    const bytes = await readFile(dump);
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const target = await emptyDatabase();
    const broken = await script(RESTORE, [truncated, target], {});
    expect(broken.code).toBe(1);
    expect(broken.stderr).toHaveLength(1);
    expect(broken.stderr[0]).toMatch(/^restore-sql: pg_restore failed, the target is unchanged: /);
    const [tables] = await query<{ n: string }>(
      target,
      `select count(*) as n from information_schema.tables where table_schema = 'public'`,
    );
    expect(tables?.n).toBe('0');
  });
});

describe('the CockroachDB branch, against a stand-in psql', () => {
  let standIn: string;
  let bin: string;
  let log: string;

  beforeAll(async () => {
    standIn = await mkdtemp(join(tmpdir(), 'sc-backup-crdb-'));
    bin = join(standIn, 'bin');
    log = join(standIn, 'psql.log');
    await mkdir(bin);
    // Answers the two queries the scripts ask first as a CockroachDB node would (`SELECT
    // version()` is how they tell CockroachDB from PostgreSQL), and records its arguments and
    // the statement it is handed on stdin.
    await writeFile(
      join(bin, 'psql'),
      [
        '#!/bin/sh',
        `printf 'ARGS %s\\n' "$*" >> '${log}'`,
        'case "$*" in',
        "  *'SELECT version()'*) echo 'CockroachDB CCL v24.1.28 (x86_64-pc-linux-gnu, built 2025/01/01, go1.22.8)' ;;",
        "  *'SELECT current_database()'*) echo secureconnect ;;",
        `  *) cat >> '${log}' ;;`,
        'esac',
        '',
      ].join('\n'),
    );
    await chmod(join(bin, 'psql'), 0o755);
  });

  afterAll(async () => {
    if (standIn) await rm(standIn, { recursive: true, force: true });
  });

  const settings = () => ({
    PATH: `${bin}:${process.env.PATH ?? ''}`,
    DATABASE_URL: 'postgres://backup@cockroach:26257/secureconnect?sslmode=verify-full',
    BACKUP_S3_ENDPOINT: 'http://minio:9000',
    BACKUP_S3_BUCKET: 'secureconnect-backups',
    BACKUP_S3_ACCESS_KEY_ID: 'sc-backup-0a1b2c3d',
    // A secret with characters a URL query must encode.
    BACKUP_S3_SECRET_ACCESS_KEY: 'se+cr/et=',
  });
  const location =
    "'s3://secureconnect-backups/cockroach?AWS_ACCESS_KEY_ID=sc-backup-0a1b2c3d&AWS_SECRET_ACCESS_KEY=se%2Bcr%2Fet%3D&AWS_REGION=us-east-1&AWS_ENDPOINT=http%3A%2F%2Fminio%3A9000'";

  it('backs up with BACKUP DATABASE … INTO the collection, the keys only on stdin', async () => {
    await rm(log, { force: true });
    const backup = await script(BACKUP, [], settings());
    expect(backup.stderr).toEqual([]);
    expect(backup.stdout).toEqual([
      'backup-sql: secureconnect backed up into s3://secureconnect-backups/cockroach (CockroachDB)',
    ]);
    const recorded = (await readFile(log, 'utf8')).split('\n');
    expect(recorded.filter((line) => !line.startsWith('ARGS '))).toContain(
      `BACKUP DATABASE "secureconnect" INTO ${location} AS OF SYSTEM TIME '-10s';`,
    );
    expect(recorded.filter((line) => line.startsWith('ARGS ')).join('\n')).not.toMatch(/se\+cr|AWS_/);
  });

  it('restores with RESTORE DATABASE … FROM LATEST IN the collection under a new name, or a named backup', async () => {
    await rm(log, { force: true });
    const latest = await script(RESTORE, ['--cockroach', 'secureconnect_restored'], settings());
    expect(latest.stderr).toEqual([]);
    expect(latest.code).toBe(0);
    const named = await script(RESTORE, ['--cockroach', 'restored_2', '/2025/01/31-120000.00'], settings());
    expect(named.code).toBe(0);
    const statements = (await readFile(log, 'utf8')).split('\n').filter((line) => line.startsWith('RESTORE'));
    expect(statements).toEqual([
      `RESTORE DATABASE "secureconnect" FROM LATEST IN ${location} WITH new_db_name = 'secureconnect_restored';`,
      `RESTORE DATABASE "secureconnect" FROM '/2025/01/31-120000.00' IN ${location} WITH new_db_name = 'restored_2';`,
    ]);
    const refused = await script(RESTORE, ['--cockroach', 'Robert"); DROP'], settings());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toEqual(['restore-sql: database names: lowercase letters, digits and _']);
  });
});
