/**
 * Cold start (SPEC §12): one bundled function (messages-send, built with bundleFunction as the
 * images are) started as `node index.mjs` with its production settings; measured from spawn to
 * the first 200 on /healthz, and to the first answer (201) of a real request — a message sent into
 * a group, which opens the database pool, Redis and the event bus on the way. Median of `runs`.
 * Beside it, the floor: `node` running a bare node:http server that answers 200.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { join, relative } from 'node:path';
import { bundleFunction } from '../../scripts/lib/bundle';
import { describeMachine } from '../lib/machine';
import { freePort, ROOT, sleep, startServer } from '../lib/processes';
import { beginResult, printTable, writeResult } from '../lib/results';
import { type BenchUser, createGroup, prepareStack, registerUsers } from '../lib/stack';

export interface ColdstartOptions {
  fn: string;
  runs: number;
  record: boolean;
}

export const DEFAULT_COLDSTART: ColdstartOptions = { fn: 'messages-send', runs: 10, record: true };

const POLL_MS = 2;
const FLOOR_SCRIPT =
  "require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1')";

/** One HTTP request without keep-alive; resolves with the status, or 0 when nothing listens yet. */
function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
) {
  return new Promise<number>((done) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
    });
    req.on('error', () => done(0));
    req.end(body);
  });
}

async function firstOk(
  child: ChildProcess,
  probe: () => Promise<number>,
  ok: number[],
  started: number,
  timeoutMs = 30_000,
) {
  for (;;) {
    const status = await probe();
    if (ok.includes(status)) return performance.now() - started;
    if (child.exitCode !== null) throw new Error(`the process exited (${child.exitCode}) before answering`);
    if (performance.now() - started > timeoutMs) throw new Error(`no ${ok.join('/')} within ${timeoutMs} ms`);
    if (status === 0) await sleep(POLL_MS);
    else throw new Error(`unexpected status ${status}`);
  }
}

interface Run {
  healthzMs: number;
  firstRequestMs: number | null;
}

async function measureRun(
  args: string[],
  env: Record<string, string>,
  real?: { method: string; path: string; headers: Record<string, string>; body: () => string },
): Promise<Run> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  try {
    const healthzMs = await firstOk(child, () => call(port, 'GET', '/healthz'), [200], started);
    let firstRequestMs: number | null = null;
    if (real) {
      const body = real.body();
      firstRequestMs = await firstOk(
        child,
        () =>
          call(
            port,
            real.method,
            real.path,
            { ...real.headers, 'content-length': String(Buffer.byteLength(body)) },
            body,
          ),
        [200, 201],
        started,
      );
    }
    return { healthzMs, firstRequestMs };
  } catch (error) {
    throw new Error(`${args.join(' ')}: ${error}\n${stderr.slice(-2000)}`);
  } finally {
    child.kill('SIGKILL');
    if (child.exitCode === null) await once(child, 'exit');
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const value =
    sorted.length % 2
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return Math.round(value * 10) / 10;
};

export async function runColdstart(partial: Partial<ColdstartOptions> = {}) {
  const options = { ...DEFAULT_COLDSTART, ...partial };
  const result = beginResult('coldstart');
  process.stdout.write(`\ncoldstart: ${options.fn}, median of ${options.runs}\n`);
  const bundling = Date.now();
  const bundle = await bundleFunction(options.fn, join(ROOT, 'bench/dist/functions'));
  const bundleMs = Date.now() - bundling;
  process.stdout.write(
    `  bundled ${relative(ROOT, bundle.file)} (${Math.round(bundle.bytes / 1024)} KiB) in ${bundleMs} ms\n`,
  );

  const stack = await prepareStack();
  const runs: Run[] = [];
  const floor: Run[] = [];
  try {
    const devServer = await startServer({
      name: 'dev-server',
      args: ['scripts/dev-server.ts'],
      env: stack.env,
    });
    let sender: BenchUser;
    let group: string;
    try {
      const users = await registerUsers(devServer.url, 3);
      sender = users[0] as BenchUser;
      group = await createGroup(devServer.url, sender, users.slice(1));
    } finally {
      await devServer.stop();
    }
    // What the function's image gets: production mode, its stores, the public key only.
    const env = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: stack.env.DATABASE_URL as string,
      REDIS_URL: stack.redisUrl,
      REDIS_KEY_PREFIX: stack.keyPrefix,
      RATE_LIMITS: 'off',
      JWT_PUBLIC_KEY: stack.publicKeyPem,
      DATA_DIR: stack.env.DATA_DIR as string,
    };
    let index = 0;
    for (let run = 0; run < options.runs; run++) {
      runs.push(
        await measureRun([bundle.file], env, {
          method: 'POST',
          path: `/v1/conversations/${group}/messages`,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${sender.accessToken}` },
          body: () =>
            JSON.stringify({ clientMessageId: `cold-${Date.now()}-${index++}`, body: 'cold start' }),
        }),
      );
      floor.push(await measureRun(['-e', FLOOR_SCRIPT], {}));
    }
  } finally {
    await stack.close();
  }

  const summary = {
    fn: options.fn,
    bundleBytes: bundle.bytes,
    bundleMs,
    eagerPackages: bundle.eagerPackages,
    healthzMedianMs: median(runs.map((run) => run.healthzMs)),
    firstRequestMedianMs: median(runs.map((run) => run.firstRequestMs as number)),
    floorMedianMs: median(floor.map((run) => run.healthzMs)),
  };
  result.settings = options;
  result.summary = summary;
  result.runs = runs.map((run) => ({
    healthzMs: Math.round(run.healthzMs * 10) / 10,
    firstRequestMs: Math.round((run.firstRequestMs ?? 0) * 10) / 10,
  }));
  result.floorRuns = floor.map((run) => Math.round(run.healthzMs * 10) / 10);
  result.finishedAt = new Date().toISOString();
  if (options.record) {
    const file = await writeResult(result);
    printTable(`coldstart — median of ${options.runs} (${describeMachine(result.machine)})`, [
      {
        process: `${options.fn} bundle (node index.mjs, ${Math.round(bundle.bytes / 1024)} KiB)`,
        'spawn → /healthz 200 ms': summary.healthzMedianMs,
        'spawn → first send 201 ms': summary.firstRequestMedianMs,
      },
      {
        process: 'floor: node -e bare node:http',
        'spawn → /healthz 200 ms': summary.floorMedianMs,
        'spawn → first send 201 ms': null,
      },
    ]);
    process.stdout.write(`\n  → ${file}\n`);
  }
  return result;
}
