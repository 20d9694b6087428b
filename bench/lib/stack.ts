import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@secureconnect/shared/testing/database';
import { Redis } from 'ioredis';
import pg from 'pg';

/** Where the benchmarks find PostgreSQL and Redis (the same defaults as the tests). */
export const DATABASE_SERVER_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL =
  process.env.BENCH_REDIS_URL ?? process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * One scenario's share of the real services: a fresh PostgreSQL database (migrated), a fresh
 * Redis key prefix, an Ed25519 key pair for access tokens and a data directory. `env` is what our
 * processes (dev server, gateway, bundled functions) are started with.
 */
export interface Stack {
  env: Record<string, string>;
  databaseUrl: string;
  redisUrl: string;
  keyPrefix: string;
  publicKeyPem: string;
  close(): Promise<void>;
}

export async function prepareStack(overrides: Record<string, string> = {}): Promise<Stack> {
  await assertServices();
  // createTestDatabase reads the server from here (the test run's global setup sets it too).
  process.env.SC_TEST_DATABASE_URL ||= DATABASE_SERVER_URL;
  const database: TestDatabase = await createTestDatabase({ kind: 'postgres' });
  // The migrations ran; the scenario's processes open their own pools.
  const url = database.url as string;
  const keyPrefix = `sc:bench:${randomBytes(6).toString('hex')}:`;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const dataDir = await mkdtemp(join(tmpdir(), 'sc-bench-'));
  const env: Record<string, string> = {
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    DATABASE_URL: url,
    REDIS_URL,
    REDIS_KEY_PREFIX: keyPrefix,
    RATE_LIMITS: 'off',
    JWT_PRIVATE_KEY: privateKeyPem,
    JWT_PUBLIC_KEY: publicKeyPem,
    ...overrides,
  };
  return {
    env,
    databaseUrl: url,
    redisUrl: REDIS_URL,
    keyPrefix,
    publicKeyPem,
    async close() {
      await database.close();
      await deleteKeys(keyPrefix);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The benchmarks measure the system on its real stores: without them there is nothing to measure. */
async function assertServices(): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_SERVER_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`bench needs PostgreSQL at ${DATABASE_SERVER_URL} (BENCH_DATABASE_URL): ${error}`);
  } finally {
    await client.end().catch(() => {});
  }
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`bench needs Redis at ${REDIS_URL} (BENCH_REDIS_URL): ${error}`);
  } finally {
    redis.disconnect();
  }
}

async function deleteKeys(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

export interface BenchUser {
  id: string;
  accessToken: string;
}

/** POSTs JSON and returns the parsed answer, throwing on an unexpected status. */
export async function postJson<T>(
  url: string,
  body: unknown,
  { token, expect = [200, 201] }: { token?: string; expect?: number[] } = {},
): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!expect.includes(response.status)) throw new Error(`POST ${url}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Registers `count` users through the public API, `parallel` at a time. argon2id hashing makes
 * each take tens of milliseconds of CPU: ~1000 users take about half a minute on two cores.
 */
export async function registerUsers(apiUrl: string, count: number, parallel = 8): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const answer = await postJson<{ user: { id: string }; accessToken: string }>(
        `${apiUrl}/v1/auth/register`,
        {
          email: `bench-${index}-${randomUUID().slice(0, 8)}@example.test`,
          password: 'correct horse battery staple',
          displayName: `Bench ${index}`,
        },
        { expect: [201] },
      );
      users[index] = { id: answer.user.id, accessToken: answer.accessToken };
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return users;
}

/** A group owned by `owner` with `members` (owner excluded), created through the API. */
export async function createGroup(apiUrl: string, owner: BenchUser, members: BenchUser[]): Promise<string> {
  const group = await postJson<{ id: string }>(
    `${apiUrl}/v1/conversations`,
    { type: 'group', title: `bench ${members.length + 1}`, memberIds: members.map((member) => member.id) },
    { token: owner.accessToken, expect: [201] },
  );
  return group.id;
}
