import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '@secureconnect/shared/config/env';
import { Platform } from '@secureconnect/shared/platform/platform';
import { createTestDatabase, type TestDatabase } from '@secureconnect/shared/testing/database';
import { testObservability } from '@secureconnect/shared/testing/observability';
import { afterAll, expect, it } from 'vitest';
import { CloseCode } from '../src/protocol';
import { TestClient } from './support';

const GATEWAY_DIR = resolve(import.meta.dirname, '..');
/** The child and this test share a database to agree on sessions, so it needs a real PostgreSQL. */
const databaseServer = process.env.SC_TEST_DATABASE_URL;

function freePort(): Promise<number> {
  return new Promise((done) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

let child: ChildProcess | undefined;
let database: TestDatabase | undefined;
let platform: Platform | undefined;
let dataDir: string | undefined;
afterAll(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  await platform?.close();
  await database?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it.skipIf(!databaseServer)(
  'runs as its own process (src/main.ts) and on SIGTERM closes sockets with 1001 and exits 0',
  async () => {
    database = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'sc-gateway-'));
    const port = await freePort();
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: database.url as string,
    };
    // A user and a session as the auth functions would make them; the key lands in DATA_DIR for both.
    const { logger, metrics } = testObservability();
    platform = new Platform(loadConfig(env), logger, metrics);
    const user = await (await platform.database()).db
      .insertInto('users')
      .values({ email: `${randomUUID()}@example.test`, display_name: 'Gateway', updated_at: new Date() })
      .returning(['id', 'role'])
      .executeTakeFirstOrThrow();
    const { accessToken } = await (await platform.sessions()).open(user, {
      ip: '127.0.0.1',
      userAgent: undefined,
    });

    // What `npm start` in realtime-gateway/ runs, without npm in between to relay the signal.
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: GATEWAY_DIR,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      output += chunk;
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const deadline = Date.now() + 60_000;
    while (!/realtime gateway listening/.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`the gateway did not come up:\n${output}`);
      await new Promise((done) => setTimeout(done, 100));
    }

    const client = await TestClient.ready({ url: `http://127.0.0.1:${port}` }, { accessToken });
    expect(client.ofType('ready')).toEqual([{ type: 'ready', userId: user.id, conversationIds: [] }]);

    child.kill('SIGTERM');
    expect(await client.closed).toEqual({ code: CloseCode.goingAway, reason: 'server shutting down' });
    const [code] = await exited;
    expect(code, output).toBe(0);
    expect(output).toMatch(/shutdown complete/);
  },
  90_000,
);
