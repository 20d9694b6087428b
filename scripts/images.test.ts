/**
 * The images as their Dockerfiles build and start them, without Docker (no engine runs here or on
 * CI): infra/docker/api.Dockerfile (the single-host `api`, its one-shot `migrate` and the
 * operator's `admin`), realtime-gateway/Dockerfile, and template/secureconnect-hono/Dockerfile for
 * every function. The bundles come from one run of the script the Dockerfiles' RUN lines call;
 * each process starts with its image's CMD, from the bundle folder the image copies into its
 * WORKDIR, with the image's ENV (NODE_ENV=production: no embedded store is accepted). The stores
 * are the run's PostgreSQL and Redis, an s3rver and an SMTP capture; secrets are files read
 * through NAME_FILE, as the compose file and OpenFaaS mount them.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { GATEWAY_DEPENDENCIES } from '@secureconnect/realtime-gateway/server';
import { type AnyFunction, requiredDependencies } from '@secureconnect/shared/http/define-function';
import type { Dependency } from '@secureconnect/shared/platform/platform';
import { createTestDatabase, type TestDatabase } from '@secureconnect/shared/testing/database';
import {
  type ChildRun,
  killAllProcesses,
  type ListeningChild,
  spawnProcess,
  untilListening,
} from '@secureconnect/shared/testing/processes';
import { testKeyPrefix } from '@secureconnect/shared/testing/redis';
import { startS3Endpoint, type TestS3Endpoint } from '@secureconnect/shared/testing/s3';
import { type SmtpCapture, startSmtpCapture } from '@secureconnect/shared/testing/smtp';
import { requestUrl, type TestResponse } from '@secureconnect/shared/testing/test-server';
import { sql } from 'kysely';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../realtime-gateway/test/support';
import { MIGRATE_DEPENDENCIES } from './lib/compose';
import { dockerfileInstructions, imageRuntime, scriptRuns, stageCopies } from './lib/dockerfile';
import { functionNames, loadFunctions, ROOT } from './lib/function-catalog';
import { SECRETS, secretsOf } from './lib/stack';

const BUILD_SCRIPT = 'scripts/build-functions.ts';
/** The template's build arg, as its RUN and COPY lines write it (stack.yml `build_args`). */
const FUNCTION_NAME = ['$', '{FUNCTION_NAME}'].join('');

/** What a test needs of one Dockerfile: its runtime, its build step and the bundle folder it ships. */
interface Image {
  dockerfile: string;
  env: Record<string, string>;
  workdir: string;
  cmd: string[];
  /** The arguments of its `RUN npx tsx scripts/build-functions.ts …` line. */
  build: string[];
  /** What the last stage copies from the build stage (`/dist/api/` into `./`). */
  bundle: { source: string; destination: string };
}

function readImage(dockerfile: string): Image {
  const instructions = dockerfileInstructions(join(ROOT, dockerfile));
  const builds = scriptRuns(instructions, BUILD_SCRIPT);
  const bundles = stageCopies(instructions).filter(({ from }) => from === 'build');
  if (builds.length !== 1 || bundles.length !== 1)
    throw new Error(`${dockerfile}: expected one RUN of ${BUILD_SCRIPT} and one COPY --from=build`);
  return { dockerfile, ...imageRuntime(instructions), build: builds[0]!, bundle: bundles[0]! };
}

const API = readImage('infra/docker/api.Dockerfile');
const GATEWAY = readImage('realtime-gateway/Dockerfile');
const FUNCTION = readImage('template/secureconnect-hono/Dockerfile');
const IMAGES = [API, GATEWAY, FUNCTION];

/** `--out <dir>` of a build line: where the bundle folders land inside the build stage. */
const buildOut = (image: Image) => image.build[image.build.indexOf('--out') + 1] as string;

const realStores = Boolean(process.env.SC_TEST_DATABASE_URL && process.env.SC_TEST_REDIS_URL);

let outDir: string;
let dataDir: string;
let secretsDir: string;
let database: TestDatabase | undefined;
let s3: TestS3Endpoint | undefined;
let smtp: SmtpCapture | undefined;
const keyPrefix = testKeyPrefix();

/** The image's bundle folder in this run's build output, e.g. `<outDir>/api`. */
function bundleDir(image: Image, name = ''): string {
  return join(outDir, relative(buildOut(image), image.bundle.source.replace(FUNCTION_NAME, name)));
}

/**
 * What a process of `image` runs with: the image's ENV, the secrets its deployment mounts for
 * these dependencies (stack.yml's and the compose file's choice, scripts/lib/stack.ts) as
 * NAME_FILE, and the plain settings that point it at this run's stores.
 */
function imageEnv(image: Image, owner: string, dependencies: readonly Dependency[]): Record<string, string> {
  const { S3_ACCESS_KEY_ID: _id, S3_SECRET_ACCESS_KEY: _secret, ...s3Settings } = s3?.env() ?? {};
  return {
    ...image.env,
    // The OS picks a free port and the process logs it: no port is guessed or raced for.
    PORT: '0',
    // The images' DATA_DIR (/tmp/secureconnect) would be shared with anything else on this
    // machine; production mode must not write there at all (the last test checks).
    DATA_DIR: dataDir,
    REDIS_KEY_PREFIX: keyPrefix,
    ...s3Settings,
    ...Object.fromEntries(
      secretsOf(owner, dependencies).map(({ secret, variable }) => [
        `${variable}_FILE`,
        join(secretsDir, secret),
      ]),
    ),
  };
}

/** Starts `command` (the image's CMD unless given) from the image's bundle folder; resolves once it listens. */
function startImage(
  image: Image,
  name: string,
  env: Record<string, string>,
  command: readonly string[] = image.cmd,
): Promise<ListeningChild> {
  return untilListening(runInImage(image, name, env, command), name);
}

function runInImage(
  image: Image,
  name: string,
  env: Record<string, string>,
  command: readonly string[],
): ChildRun {
  const [program = '', ...args] = command;
  // `node` in the image is its pinned Node 22; here it is the Node running the tests.
  return spawnProcess(program === 'node' ? process.execPath : program, args, {
    cwd: bundleDir(image, name),
    env,
  });
}

/** A child's exit code, or `'running'` if it has not exited within `ms`. */
function exitWithin(run: ChildRun, ms: number): Promise<number | null | 'running'> {
  return Promise.race([run.exited, new Promise<'running'>((resolve) => setTimeout(resolve, ms, 'running'))]);
}

const keys = generateKeyPairSync('ed25519');

beforeAll(async () => {
  if (!realStores) {
    if (process.env.CI) throw new Error('CI must provide PostgreSQL and Redis for the image tests');
    return;
  }
  outDir = await mkdtemp(join(tmpdir(), 'sc-images-'));
  dataDir = await mkdtemp(join(tmpdir(), 'sc-images-data-'));
  // Beside the bundle folders, under a name no function can have.
  secretsDir = join(outDir, '.secrets');
  // Stands in for the `npm install --omit=dev` each image runs in its bundle folder: the bundles
  // resolve their externals from the repository's node_modules instead.
  await symlink(join(ROOT, 'node_modules'), join(outDir, 'node_modules'), 'dir');

  // One run of the build script for all three images: the union of their RUN lines' arguments,
  // every function for the template's FUNCTION_NAME build arg, and this run's output folder.
  const flags = [
    ...new Set(
      IMAGES.flatMap(({ build }) =>
        build.filter((arg, index) => arg !== '--out' && build[index - 1] !== '--out'),
      ),
    ),
  ];
  const args = [
    ...flags.flatMap((arg) => (arg === FUNCTION_NAME ? functionNames() : [arg])),
    '--out',
    outDir,
  ];
  const build = spawnProcess('npx', ['tsx', BUILD_SCRIPT, ...args], {
    cwd: ROOT,
    env: { HOME: process.env.HOME ?? '' },
  });
  [database, s3, smtp] = await Promise.all([
    // Empty: migrate.mjs fills it, as the compose file's one-shot `migrate` does.
    createTestDatabase({ migrate: false }),
    startS3Endpoint(),
    startSmtpCapture(),
  ]);
  const values: Record<string, string> = {
    DATABASE_URL: database.url as string,
    REDIS_URL: process.env.SC_TEST_REDIS_URL as string,
    SMTP_URL: smtp.url,
    JWT_PRIVATE_KEY: keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    JWT_PUBLIC_KEY: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
  };
  await mkdir(secretsDir);
  // The optional integrations' secrets exist but are empty, which reads as unset (LiveKit, TURN,
  // push providers, AI), as in a deployment that does not use them.
  await Promise.all(
    SECRETS.map(({ secret, variable }) => writeFile(join(secretsDir, secret), values[variable] ?? '')),
  );
  const built = await build.exited;
  if (built !== 0) throw new Error(`${BUILD_SCRIPT} exited with ${built}:\n${build.stderr.join('\n')}`);
  // Building 69 bundles takes ~15 s on two idle cores; more when other test files share them.
}, 120_000);

afterAll(async () => {
  await killAllProcesses();
  await Promise.all([s3?.close(), smtp?.close(), database?.close()]);
  for (const dir of [outDir, dataDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the Dockerfiles', () => {
  it('bundle with build-functions.ts and run their bundle folder, in production mode', () => {
    expect(API.build).toEqual(['--api', '--out', '/dist']);
    expect(GATEWAY.build).toEqual(['--gateway', '--out', '/dist']);
    expect(FUNCTION.build).toEqual([FUNCTION_NAME, '--out', '/dist']);
    expect(API.bundle.source).toBe('/dist/api/');
    expect(GATEWAY.bundle.source).toBe('/dist/realtime-gateway/');
    expect(FUNCTION.bundle.source).toBe(`/dist/${FUNCTION_NAME}/`);
    for (const image of IMAGES) {
      // Copied into WORKDIR: the process starts from its bundle folder.
      expect(image.bundle.destination, image.dockerfile).toBe('./');
      expect(image.env.NODE_ENV, image.dockerfile).toBe('production');
    }
    expect(API.cmd).toEqual(['node', 'index.mjs']);
    expect(GATEWAY.cmd).toEqual(['node', 'index.mjs']);
    // The template runs of-watchdog, which forks `fprocess` and proxies to upstream_url: the
    // function's HOST and PORT must be that address.
    expect(FUNCTION.cmd).toEqual(['fwatchdog']);
    expect(FUNCTION.env.fprocess).toBe('node index.mjs');
    expect(FUNCTION.env.upstream_url).toBe(`http://${FUNCTION.env.HOST}:${FUNCTION.env.PORT}`);
  });
});

describe.skipIf(!realStores && !process.env.CI)('the api and realtime-gateway images', () => {
  let api: ListeningChild | undefined;
  let apiEnv: Record<string, string>;
  const password = 'correct horse battery staple';
  const ann = { email: `ann-${randomUUID()}@example.test`, id: '', accessToken: '' };
  const bob = { email: `bob-${randomUUID()}@example.test`, id: '', accessToken: '' };
  let directId = '';

  beforeAll(async () => {
    apiEnv = imageEnv(API, 'api', requiredDependencies(await loadFunctions()));
  });

  it('migrate.mjs (the one-shot `migrate`) brings the empty database up to date and exits 0', async () => {
    // The compose file's `migrate` service: the api image with `command: ["node", "migrate.mjs"]`.
    const migrate = runInImage(API, 'migrate', imageEnv(API, 'migrate', MIGRATE_DEPENDENCIES), [
      'node',
      'migrate.mjs',
    ]);
    expect(await migrate.exited, migrate.stderr.join('\n')).toBe(0);
    expect(migrate.stdout.join('\n')).toMatch(/"msg":"schemas are up to date"/);
    const { db } = database as TestDatabase;
    const tables = await sql<{ n: string }>`
      select count(*) as n from information_schema.tables where table_schema = 'public'`.execute(db);
    expect(Number(tables.rows[0]?.n)).toBeGreaterThan(20);
  });

  it('the api answers /healthz and /readyz, registers users (mail over SMTP) and serves them', async () => {
    api = await startImage(API, 'api', apiEnv);
    expect((await requestUrl(api.url, 'GET', '/healthz')).status).toBe(200);
    const ready = await requestUrl(api.url, 'GET', '/readyz');
    expect(ready.status, JSON.stringify(ready.body)).toBe(200);
    expect(ready.body.status).toBe('ok');
    // The stores came from the secret files: SMTP and S3 are the real ones, not embedded stand-ins.
    expect(ready.body.checks).toMatchObject({
      sql: { status: 'ok' },
      kv: { status: 'ok' },
      mail: { status: 'ok', detail: 'smtp' },
      blobs: { status: 'ok', detail: 's3' },
    });

    for (const user of [ann, bob]) {
      const registered = await requestUrl(api.url, 'POST', '/v1/auth/register', {
        body: { email: user.email, password, displayName: 'Image' },
      });
      expect(registered.status, JSON.stringify(registered.body)).toBe(201);
      user.id = registered.body.user.id;
      user.accessToken = registered.body.accessToken;
    }
    const mail = await (smtp as SmtpCapture).waitFor((message) => message.to.includes(ann.email));
    expect(mail.text).toMatch(/[?&]token=/);

    const me = await requestUrl(api.url, 'GET', '/v1/users/me', { token: ann.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: ann.id, email: ann.email, role: 'user' });
    // The router reaches the api as it would reach the OpenFaaS gateway: /function/<name>/…
    const routed = await requestUrl(api.url, 'GET', '/function/users-me/v1/users/me', {
      token: ann.accessToken,
    });
    expect(routed.status).toBe(200);

    const direct = await requestUrl(api.url, 'POST', '/v1/conversations', {
      token: ann.accessToken,
      body: { type: 'direct', userId: bob.id },
    });
    expect(direct.status, JSON.stringify(direct.body)).toBe(201);
    directId = direct.body.id;
  });

  it('admin.mjs grants the admin role in the same database; the next login carries it', async () => {
    // The operator runs it in the api container, with the api's environment.
    const grant = runInImage(API, 'admin', apiEnv, ['node', 'admin.mjs', 'grant', ann.email]);
    expect(await grant.exited, grant.stderr.join('\n')).toBe(0);
    expect(grant.stdout.join('\n')).toContain(`${ann.email} is now an admin`);

    const url = (api as ListeningChild).url;
    const login = await requestUrl(url, 'POST', '/v1/auth/login', { body: { email: ann.email, password } });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.body.user.role).toBe('admin');
    ann.accessToken = login.body.accessToken;
    expect((await requestUrl(url, 'GET', '/v1/admin/stats', { token: ann.accessToken })).status).toBe(200);
  });

  it('the gateway accepts a token the api issued and delivers a message sent through the api', async () => {
    const gateway = await startImage(
      GATEWAY,
      'realtime-gateway',
      imageEnv(GATEWAY, 'realtime-gateway', GATEWAY_DEPENDENCIES),
    );
    expect((await requestUrl(gateway.url, 'GET', '/healthz')).status).toBe(200);
    const ready = await requestUrl(gateway.url, 'GET', '/readyz');
    expect(ready.status, JSON.stringify(ready.body)).toBe(200);

    const client = await TestClient.ready(gateway, bob);
    try {
      expect(client.ofType('ready')).toEqual([
        { type: 'ready', userId: bob.id, conversationIds: [directId] },
      ]);
      const sent = await requestUrl(
        (api as ListeningChild).url,
        'POST',
        `/v1/conversations/${directId}/messages`,
        {
          token: ann.accessToken,
          body: { clientMessageId: randomUUID(), body: 'hello from the api image' },
        },
      );
      expect(sent.status, JSON.stringify(sent.body)).toBe(201);
      // From the api process to the gateway process through Redis pub/sub.
      const event = await client.next(
        (frame) =>
          frame.type === 'event' && frame.event === 'message.created' && frame.conversationId === directId,
      );
      expect(event.seq).toBe(sent.body.seq);
    } finally {
      client.close();
    }
  });

  it('the gateway refuses to start without a store production needs, in one line', async () => {
    const { REDIS_URL_FILE: _redis, ...env } = imageEnv(GATEWAY, 'realtime-gateway', GATEWAY_DEPENDENCIES);
    const gateway = runInImage(GATEWAY, 'realtime-gateway', env, GATEWAY.cmd);
    expect(await exitWithin(gateway, 20_000)).toBe(1);
    expect(gateway.stderr.filter((line) => line.trim())).toEqual([
      'realtime-gateway: configuration error: REDIS_URL: required when NODE_ENV=production (this process uses kv)',
    ]);
  });
});

/** One request per function whose answer its manifest predicts without any account. */
interface Probe {
  method: string;
  path: string;
  body?: unknown;
  status: number;
}

function probeOf(fn: AnyFunction): Probe {
  const path = fn.internal
    ? `/function/${fn.name}${fn.path === '/' ? '' : fn.path}`
    : fn.path.replace(/:\w+/g, () => randomUUID());
  // No token: refused before the request is even validated.
  if (fn.auth !== 'public') return { method: fn.method, path, status: 401 };
  // An empty object: every body schema has a required field.
  if (fn.request.body) return { method: fn.method, path, body: {}, status: 400 };
  // What is left are the scheduled sweeps: a real run over the stores, answering its contract.
  return { method: fn.method, path, status: fn.response.status };
}

interface Outcome {
  probe: Probe;
  healthz?: number;
  readyz?: TestResponse;
  answer?: TestResponse;
  /** Exit code after SIGTERM, which OpenFaaS sends to stop a replica. */
  exit?: number | null | 'running';
  error?: string;
}

describe.skipIf(!realStores && !process.env.CI)('the function image, for every function', () => {
  const outcomes = new Map<string, Outcome>();
  let functions: AnyFunction[] = [];

  beforeAll(async () => {
    functions = await loadFunctions();
    const run = async (fn: AnyFunction) => {
      const outcome: Outcome = { probe: probeOf(fn) };
      outcomes.set(fn.name, outcome);
      // of-watchdog (not available here) forks `fprocess` split on spaces, with the container's
      // environment: the image ENV, HOST/PORT among it, and the function's stack.yml secrets.
      const fprocess = FUNCTION.env.fprocess?.split(' ') ?? [];
      let running: ListeningChild | undefined;
      try {
        running = await startImage(
          FUNCTION,
          fn.name,
          imageEnv(FUNCTION, fn.name, requiredDependencies([fn])),
          fprocess,
        );
        outcome.healthz = (await requestUrl(running.url, 'GET', '/healthz')).status;
        outcome.readyz = await requestUrl(running.url, 'GET', '/readyz');
        const { method, path, body } = outcome.probe;
        outcome.answer = await requestUrl(running.url, method, path, body === undefined ? {} : { body });
        running.child.kill('SIGTERM');
        outcome.exit = await exitWithin(running, 10_000);
      } catch (error) {
        outcome.error = error instanceof Error ? error.message : String(error);
      } finally {
        if (running?.child.exitCode === null) running.child.kill('SIGKILL');
      }
    };
    // A few at a time: each start parses a ~3 MB bundle, and the machine may have two cores.
    for (let index = 0; index < functions.length; index += 6) {
      await Promise.all(functions.slice(index, index + 6).map(run));
    }
  }, 120_000);

  it.each(functionNames())('%s: /healthz, /readyz and its own route as the manifest says', (name) => {
    const outcome = outcomes.get(name) as Outcome;
    expect(outcome.error).toBeUndefined();
    expect(outcome.healthz).toBe(200);
    expect(outcome.readyz?.status, JSON.stringify(outcome.readyz?.body)).toBe(200);
    expect(outcome.readyz?.body.status, JSON.stringify(outcome.readyz?.body)).toBe('ok');
    const { probe, answer } = outcome;
    expect(answer?.status, `${probe.method} ${probe.path}: ${JSON.stringify(answer?.body)}`).toBe(
      probe.status,
    );
    if (probe.status >= 400) {
      expect(answer?.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer?.body).toMatchObject({ status: probe.status });
    } else {
      const fn = functions.find((candidate) => candidate.name === name) as AnyFunction;
      if (fn.response.schema)
        expect(v.is(fn.response.schema, answer?.body), JSON.stringify(answer?.body)).toBe(true);
    }
    expect(outcome.exit).toBe(0);
  });

  it('no process wrote under DATA_DIR: production mode used no embedded store', () => {
    expect(readdirSync(dataDir)).toEqual([]);
  });
});
