/**
 * The bundles as of-watchdog runs them: `node index.mjs` in its own process, configured only by
 * its environment, against the run's real PostgreSQL and Redis (SPEC §3, §4, §11).
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@secureconnect/shared/testing/database';
import {
  killAllProcesses,
  killProcess,
  type ListeningChild,
  runNodeFile,
  untilListening,
} from '@secureconnect/shared/testing/processes';
import { testKeyPrefix } from '@secureconnect/shared/testing/redis';
import { startS3Endpoint } from '@secureconnect/shared/testing/s3';
import { requestUrl as call } from '@secureconnect/shared/testing/test-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BundleResult, bundleFunction } from './lib/bundle';
import { bundleManifest, EMBEDDED_ONLY_PACKAGES } from './lib/bundle-manifest';
import { ROOT } from './lib/function-catalog';

/** Starts a bundle on PORT=0 (the port comes from its `listening` log line), logging at info. */
function start(file: string, env: Record<string, string>): Promise<ListeningChild> {
  return untilListening(runNodeFile(file, { HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env }), file);
}

const postgres = Boolean(process.env.SC_TEST_DATABASE_URL);
const redis = Boolean(process.env.SC_TEST_REDIS_URL);
const realStores = postgres && redis;

let outDir: string;
let usersMe: BundleResult;
let authRegister: BundleResult;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'sc-bundles-'));
  // Stands in for `npm install --omit=dev` beside the bundle in the image.
  await symlink(join(ROOT, 'node_modules'), join(outDir, 'node_modules'), 'dir');
  [usersMe, authRegister] = await Promise.all([
    bundleFunction('users-me', outDir),
    bundleFunction('auth-register', outDir),
  ]);
});

afterAll(async () => {
  await killAllProcesses();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

describe('bundleFunction', () => {
  it('writes index.mjs with an external source map and the CommonJS require banner', () => {
    const source = readFileSync(usersMe.file, 'utf8');
    expect(usersMe.file).toBe(join(outDir, 'users-me', 'index.mjs'));
    expect(usersMe.bytes).toBe(Buffer.byteLength(source));
    expect(source.startsWith("import { createRequire as __scCreateRequire } from 'node:module';")).toBe(true);
    expect(source).toContain('//# sourceMappingURL=index.mjs.map');
    expect(JSON.parse(readFileSync(`${usersMe.file}.map`, 'utf8')).version).toBe(3);
  });

  it('lists exactly the externals the bundle imports, embedded-only ones as optional peers', () => {
    const manifest = JSON.parse(readFileSync(join(outDir, 'users-me', 'package.json'), 'utf8'));
    const declared = { ...manifest.dependencies, ...manifest.peerDependencies };
    expect(declared).toEqual(usersMe.externals);
    expect(Object.keys(manifest.dependencies)).toEqual(['@node-rs/argon2']);
    expect(manifest.dependencies['@node-rs/argon2']).toBe(
      JSON.parse(readFileSync(join(ROOT, 'node_modules/@node-rs/argon2/package.json'), 'utf8')).version,
    );
    for (const name of EMBEDDED_ONLY_PACKAGES) {
      expect(manifest.peerDependencies[name]).toBeDefined();
      expect(manifest.peerDependenciesMeta[name]).toEqual({ optional: true });
    }
  });

  it('installs a dependency-specific driver only where the function declares that dependency', () => {
    const externals = { '@node-rs/argon2': '2.2.1', 'cassandra-driver': '4.10.0', 'pg-native': '*' };
    const messaging = bundleManifest('messages-send', externals, ['sql', 'kv', 'messages']);
    expect(messaging.dependencies).toEqual({ '@node-rs/argon2': '2.2.1', 'cassandra-driver': '4.10.0' });
    const other = bundleManifest('users-me', externals, ['sql', 'kv', 'verify-key']);
    expect(other.dependencies).toEqual({ '@node-rs/argon2': '2.2.1' });
    expect(other.peerDependenciesMeta).toEqual({
      'cassandra-driver': { optional: true },
      'pg-native': { optional: true },
    });
  });

  it('installs the openai client only for AI functions, where it loads with the first request sent', async () => {
    const summarize = await bundleFunction('ai-summarize', outDir);
    const manifest = JSON.parse(readFileSync(join(outDir, 'ai-summarize', 'package.json'), 'utf8'));
    expect(manifest.dependencies.openai).toBe(
      JSON.parse(readFileSync(join(ROOT, 'node_modules/openai/package.json'), 'utf8')).version,
    );
    expect(summarize.eagerPackages).not.toContain('openai');
    expect(summarize.packages.map((pkg) => pkg.name)).not.toContain('openai');
    const others = JSON.parse(readFileSync(join(outDir, 'users-me', 'package.json'), 'utf8'));
    expect(others.dependencies.openai).toBeUndefined();
  });

  it('does not evaluate store drivers at start-up: they sit behind dynamic imports', () => {
    for (const bundle of [usersMe, authRegister]) {
      for (const driver of [
        'pg',
        'kysely',
        'ioredis',
        'nodemailer',
        '@electric-sql/pglite',
        'kysely-pglite',
        '@aws-sdk/client-s3',
        '@aws-sdk/s3-request-presigner',
        'cockatiel',
        'livekit-server-sdk',
        'openai',
      ]) {
        expect(bundle.eagerPackages, `${bundle.name} loads ${driver} at start-up`).not.toContain(driver);
      }
      expect(bundle.eagerPackages).toContain('hono');
    }
  });
});

describe('a bundled function as its own process', () => {
  const keys = generateKeyPairSync('ed25519');
  const privateKey = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKey = keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  let dataDir: string;
  let database: TestDatabase | undefined;
  let env: Record<string, string>;
  let me: ListeningChild | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'sc-bundle-data-'));
    database = postgres ? await createTestDatabase() : undefined;
    env = {
      DATA_DIR: dataDir,
      JWT_PUBLIC_KEY: publicKey,
      SHUTDOWN_TIMEOUT_MS: '2000',
      ...(database?.url ? { DATABASE_URL: database.url } : {}),
      ...(redis
        ? { REDIS_URL: process.env.SC_TEST_REDIS_URL as string, REDIS_KEY_PREFIX: testKeyPrefix() }
        : {}),
    };
    me = await start(usersMe.file, env);
  });

  afterAll(async () => {
    await killProcess(me);
    await database?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('answers /healthz, and 401 problem+json without a token', async () => {
    const url = (me as ListeningChild).url;
    expect((await call(url, 'GET', '/healthz')).status).toBe(200);
    const response = await call(url, 'GET', '/v1/users/me');
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 401 });
  });

  it.runIf(realStores || process.env.CI)(
    'serves a user registered through the auth-register bundle (shared keys, PostgreSQL, Redis)',
    async () => {
      expect(
        realStores,
        'CI must provide PostgreSQL and Redis (SC_TEST_DATABASE_URL, SC_TEST_REDIS_URL)',
      ).toBe(true);
      const register = await start(authRegister.file, { ...env, JWT_PRIVATE_KEY: privateKey });
      try {
        const email = `bundle-${Date.now()}@example.test`;
        const registered = await call(register.url, 'POST', '/v1/auth/register', {
          body: { email, password: 'correct horse battery staple', displayName: 'Bundled' },
        });
        expect(registered.status).toBe(201);

        const profile = await call((me as ListeningChild).url, 'GET', '/v1/users/me', {
          token: registered.body.accessToken,
        });
        expect(profile.status).toBe(200);
        expect(profile.body).toMatchObject({ id: registered.body.user.id, email, displayName: 'Bundled' });
      } finally {
        await killProcess(register);
      }
    },
  );

  it.runIf(realStores || process.env.CI)(
    'a drive bundle loads the S3 client it was given and signs uploads that S3 accepts',
    async () => {
      const drive = await bundleFunction('files-presign-upload', outDir);
      const manifest = JSON.parse(readFileSync(join(outDir, 'files-presign-upload', 'package.json'), 'utf8'));
      expect(Object.keys(manifest.dependencies)).toEqual(
        expect.arrayContaining(['@aws-sdk/client-s3', '@aws-sdk/s3-request-presigner']),
      );
      expect(drive.eagerPackages).not.toContain('@aws-sdk/client-s3');
      const s3 = await startS3Endpoint();
      const register = await start(authRegister.file, { ...env, JWT_PRIVATE_KEY: privateKey });
      const presign = await start(drive.file, { ...env, ...s3.env() });
      try {
        const registered = await call(register.url, 'POST', '/v1/auth/register', {
          body: {
            email: `drive-${Date.now()}@example.test`,
            password: 'correct horse battery',
            displayName: 'D',
          },
        });
        const ticket = await call(presign.url, 'POST', '/v1/files', {
          token: registered.body.accessToken,
          body: { name: 'a.txt', size: 5, contentType: 'text/plain' },
        });
        expect(ticket.status).toBe(201);
        expect(ticket.body.uploadUrl.startsWith(`${s3.url}/`)).toBe(true);
        const put = await fetch(ticket.body.uploadUrl, {
          method: 'PUT',
          headers: { 'content-type': 'text/plain' },
          body: 'hello',
        });
        expect(put.status).toBe(200);
        expect(presign.stderr.join('\n')).not.toMatch(/NodeVersionSupportWarning/);
      } finally {
        await killProcess(presign);
        await killProcess(register);
        await s3.close();
      }
    },
  );

  it('drains and exits 0 on SIGTERM', async () => {
    const bundle = me as ListeningChild;
    bundle.child.kill('SIGTERM');
    expect(await bundle.exited).toBe(0);
    expect(bundle.stdout.some((line) => line.includes('shutdown complete'))).toBe(true);
  });
});

describe('a bundled function with a bad configuration', () => {
  it('exits 1 with one stderr line naming the variable, no stack trace', async () => {
    const bundle = runNodeFile(usersMe.file, { PORT: 'abc' });
    expect(await bundle.exited).toBe(1);
    const lines = bundle.stderr.filter((line) => line.trim());
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^users-me: configuration error: PORT: /);
    expect(bundle.stdout.join('\n')).not.toMatch(/\n\s+at /);
  });

  it('refuses to start without DATABASE_URL where the image has no embedded PGlite', async () => {
    // The image's node_modules: only what the bundle's package.json requires.
    const imageDir = await mkdtemp(join(tmpdir(), 'sc-image-'));
    try {
      await mkdir(join(imageDir, 'node_modules'));
      await symlink(join(ROOT, 'node_modules/@node-rs'), join(imageDir, 'node_modules/@node-rs'), 'dir');
      await copyFile(usersMe.file, join(imageDir, 'index.mjs'));
      const bundle = runNodeFile(join(imageDir, 'index.mjs'), { PORT: '0' });
      const code = await Promise.race([
        bundle.exited,
        new Promise((resolve) => setTimeout(resolve, 20_000, 'running')),
      ]);
      if (code === 'running') bundle.child.kill('SIGKILL');
      expect(code).toBe(1);
      expect(bundle.stderr.filter((line) => line.trim())).toEqual([
        'users-me: configuration error: DATABASE_URL: required (this image has no embedded PGlite; set DATABASE_URL or DATABASE_URL_FILE)',
      ]);
    } finally {
      await rm(imageDir, { recursive: true, force: true });
    }
  });
});
