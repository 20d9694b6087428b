import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env';
import { createTestDatabase, type TestDatabase } from '../testing/database';
import { testObservability } from '../testing/observability';
import { openMessageStore } from './open-message-store';

const here = dirname(fileURLToPath(import.meta.url));
const sharedSrc = join(here, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? sourceFiles(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

describe('openMessageStore', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.close());

  it('opens the SQL store when CASSANDRA_CONTACT_POINTS is not set, and it works', async () => {
    const config = loadConfig({});
    expect(config.CASSANDRA_CONTACT_POINTS).toEqual([]);
    const store = await openMessageStore({ config, db: database.db, ...testObservability() });
    expect(store.kind).toBe('sql');
    const event = await store.appendEvent({
      conversationId: crypto.randomUUID(),
      type: 'conversation.updated',
      actorId: null,
      data: {},
    });
    expect(event.seq).toBe(1);
    await store.close();
  });

  it('names the contact points when Cassandra cannot be reached, and does not hang', async () => {
    const config = loadConfig({
      CASSANDRA_CONTACT_POINTS: '127.0.0.1:1',
      CASSANDRA_READ_TIMEOUT_MS: '1000',
    });
    await expect(openMessageStore({ config, db: database.db, ...testObservability() })).rejects.toThrow(
      /Cassandra at 127\.0\.0\.1:1 \(CASSANDRA_CONTACT_POINTS\)/,
    );
  });

  it('leaves cassandra-driver unloaded in a process on the SQL store (SPEC §3)', () => {
    const script = `
      import { createRequire } from 'node:module';
      const { openMessageStore } = await import(${JSON.stringify(join(here, 'open-message-store.ts'))});
      const { loadConfig } = await import(${JSON.stringify(join(sharedSrc, 'config/env.ts'))});
      const { createLogger } = await import(${JSON.stringify(join(sharedSrc, 'observability/logger.ts'))});
      const { Metrics } = await import(${JSON.stringify(join(sharedSrc, 'observability/metrics.ts'))});
      const store = await openMessageStore({
        config: loadConfig({}), db: {}, logger: createLogger({ level: 'silent', service: 't' }), metrics: new Metrics(),
      });
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes('cassandra-driver'));
      console.log(JSON.stringify({ kind: store.kind, loaded }));
    `;
    const output = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: here,
      encoding: 'utf8',
    });
    expect(JSON.parse(output.trim().split('\n').at(-1)!)).toEqual({ kind: 'sql', loaded: false });
  });

  it('keeps cassandra-driver imported only by the Cassandra adapter, which is imported only dynamically', () => {
    const importers = sourceFiles(sharedSrc)
      .filter((file) => !file.endsWith('.test.ts'))
      .filter((file) =>
        /from 'cassandra-driver'|import\('cassandra-driver'\)/.test(readFileSync(file, 'utf8')),
      )
      .map((file) => relative(sharedSrc, file));
    expect(importers.sort()).toEqual(['messaging/cassandra-message-store.ts', 'messaging/cql/migrate.ts']);
    expect(readFileSync(join(sharedSrc, 'messaging/cql/migrate.ts'), 'utf8')).toMatch(
      /import type \{ Client \} from 'cassandra-driver'/,
    );

    const staticImporters = sourceFiles(sharedSrc)
      .filter((file) => /^import [^;]*from '\.\/cassandra-message-store'/m.test(readFileSync(file, 'utf8')))
      .map((file) => relative(sharedSrc, file));
    expect(staticImporters.every((file) => file.endsWith('.test.ts'))).toBe(true);
  });
});
