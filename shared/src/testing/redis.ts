import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';

/** Where the tests expect a Redis server binary (Debian/Ubuntu `redis-server` package). */
export const REDIS_SERVER_BINARY = '/usr/bin/redis-server';

/** True when {@link startRedisServer} can run on this machine. */
export const canStartRedisServer = existsSync(REDIS_SERVER_BINARY);

/** A unique key prefix, so test files sharing one Redis never see each other's keys. */
export function testKeyPrefix(): string {
  return `sc:test:${randomBytes(6).toString('hex')}:`;
}

/** A private redis-server that a test may crash and bring back. */
export interface TestRedisServer {
  url: string;
  port: number;
  /** Kills the server outright (SIGKILL, like a crash) and waits until the process is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is persisted) and waits until it answers. */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open but nothing answers, like a hung host. */
  pause(): void;
  /** Thaws a paused server (SIGCONT). */
  resume(): void;
}

const STARTUP_TIMEOUT_MS = 10_000;

/** Every server still running, killed when the test process exits however it exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP port assigned');
  return address.port;
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(500, () => done(false));
    socket.on('error', () => done(false));
    socket.on('data', (chunk) => done(chunk.toString().startsWith('+PONG')));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

function spawnServer(port: number): ChildProcess {
  const child = spawn(
    REDIS_SERVER_BINARY,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmpdir()],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

async function waitUntilReady(child: ChildProcess, port: number): Promise<void> {
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  try {
    while (!(await answersPing(port))) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`redis-server on port ${port} exited during start-up:\n${output}`);
      }
      if (Date.now() > deadline)
        throw new Error(`redis-server on port ${port} did not answer PING:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    child.stdout?.off('data', collect);
    child.stderr?.off('data', collect);
    // Nobody reads the output from here on; unpiped it would eventually block the server.
    child.stdout?.resume();
    child.stderr?.resume();
  }
}

/**
 * Spawns `redis-server` on a free port of 127.0.0.1, without persistence, for tests that crash
 * Redis on purpose. Call `stop()` in `afterAll`; a process exit kills it regardless.
 *
 * @example
 * const redis = await startRedisServer();
 * await redis.stop();  // Redis "crashes"
 * await redis.start(); // and comes back, empty, on the same port
 */
export async function startRedisServer(): Promise<TestRedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async () => {
    if (child) return;
    const spawned = spawnServer(port);
    child = spawned;
    try {
      await waitUntilReady(spawned, port);
    } catch (error) {
      await stop();
      throw error;
    }
  };

  const stop = async () => {
    const current = child;
    child = undefined;
    if (!current || current.exitCode !== null || current.signalCode !== null) return;
    const exited = once(current, 'exit');
    current.kill('SIGKILL');
    await exited;
  };

  const signal = (name: NodeJS.Signals) => {
    if (!child) throw new Error('redis-server is not running');
    child.kill(name);
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
  };
}
