import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { ProbeReply } from './probe';

export const ROOT = resolve(import.meta.dirname, '../..');
const PROBE = resolve(import.meta.dirname, 'probe.ts');

/**
 * File descriptors every process of a run may open: 50k sockets on the server side and as many
 * on the clients' side need more than the usual 1024. Raised through the shell's `ulimit` up to
 * FD_LIMIT, or else up to the hard limit in force: raising the hard limit itself needs
 * CAP_SYS_RESOURCE, which a container may not grant even to root.
 */
export const FD_LIMIT = 200_000;

/** The descriptor limit the harness's processes get (the hard limit when FD_LIMIT cannot be had). */
export function fdLimit(): number {
  const output = execFileSync(
    'sh',
    ['-c', `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n $(ulimit -Hn); ulimit -n`],
    {
      encoding: 'utf8',
    },
  );
  return Number(output.trim()) || 1024;
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
    probe.on('error', fail);
  });
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** Every process the harness started and that still runs: killed if the harness exits, however it exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface NodeProcessOptions {
  /** For logs and errors. */
  name: string;
  /** Script and its arguments, run by `node --import tsx` from the repository root. */
  args: string[];
  env?: Record<string, string>;
  /** Extra node flags, e.g. --expose-gc or --max-old-space-size. */
  nodeFlags?: string[];
  /** Preload the probe (servers under measurement). */
  probe?: boolean;
  /** Keep this process's stdout (clients talk over IPC; servers only log). */
  echo?: boolean;
}

/** A Node process of the run, with an IPC channel and the last lines it wrote kept for errors. */
export class NodeProcess {
  readonly child: ChildProcess;
  private output = '';
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { done: (value: unknown) => void; fail: (error: Error) => void }
  >();
  readonly exited: Promise<number | null>;

  constructor(readonly options: NodeProcessOptions) {
    const flags = [...(options.nodeFlags ?? []), '--import', 'tsx'];
    if (options.probe) flags.push('--import', PROBE);
    // `exec` keeps the pid (and the IPC descriptor) while raising the descriptor limit first.
    const script = `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n $(ulimit -Hn) 2>/dev/null; exec "$0" "$@"`;
    this.child = spawn('sh', ['-c', script, process.execPath, ...flags, ...options.args], {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-8000);
      if (options.echo) process.stderr.write(chunk);
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.child.on('message', (message: unknown) => this.onMessage(message));
    running.add(this.child);
    this.exited = once(this.child, 'exit').then(([code]) => {
      running.delete(this.child);
      for (const { fail } of this.waiting.values())
        fail(new Error(`${options.name} exited (${code}) while answering:\n${this.tail()}`));
      this.waiting.clear();
      return code as number | null;
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error(`${this.options.name} did not start`);
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  tail(): string {
    return this.output.split('\n').slice(-30).join('\n');
  }

  /** Messages that are not replies (client workers report progress this way). */
  onEvent: (message: Record<string, unknown>) => void = () => {};

  /** Sends a request over IPC and resolves with the reply carrying the same id. */
  request<T>(message: Record<string, unknown>, timeoutMs = 120_000): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((done, fail) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        fail(new Error(`${this.options.name}: no answer to ${JSON.stringify(message).slice(0, 80)}`));
      }, timeoutMs);
      this.waiting.set(id, {
        done: (value) => {
          clearTimeout(timer);
          done(value as T);
        },
        fail: (error) => {
          clearTimeout(timer);
          fail(error);
        },
      });
      this.child.send({ ...message, id });
    });
  }

  private onMessage(message: unknown): void {
    const reply = message as Partial<ProbeReply> & Record<string, unknown>;
    if (reply.probe === 'reply' && typeof reply.id === 'number') {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (reply.error) waiter?.fail(new Error(`${this.options.name}: ${reply.error}`));
      else waiter?.done(reply.result);
      return;
    }
    this.onEvent(reply);
  }

  /** CPU seconds (user + system) the process has used, from /proc. */
  cpuSeconds(): number {
    const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
    // Fields after the command name, which sits in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  }

  /** Resident set size in bytes, from /proc. */
  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000): Promise<void> {
    if (!this.alive) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

export interface MemoryReport {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  gcExposed: boolean;
}

/** A server under measurement: a NodeProcess with the probe, listening on `port`. */
export class ServerProcess extends NodeProcess {
  constructor(
    options: NodeProcessOptions,
    readonly port: number,
  ) {
    super({ ...options, probe: true, nodeFlags: ['--expose-gc', ...(options.nodeFlags ?? [])] });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Memory after two full collections. */
  memory(): Promise<MemoryReport> {
    return this.request<MemoryReport>({ probe: 'memory', gc: true });
  }

  /** Writes a V8 heap snapshot (for diagnosis; large for a large heap). */
  heapSnapshot(file: string): Promise<string> {
    return this.request<string>({ probe: 'heap-snapshot', file }, 300_000);
  }

  profileStart(): Promise<unknown> {
    return this.request({ probe: 'profile-start' });
  }

  profileStop(file: string): Promise<string> {
    return this.request<string>({ probe: 'profile-stop', file });
  }

  /** Polls `path` until it answers 200. */
  async waitReady(path = '/healthz', timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.alive) throw new Error(`${this.options.name} exited during start-up:\n${this.tail()}`);
      try {
        const response = await fetch(this.url + path);
        await response.arrayBuffer();
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.options.name} did not come up:\n${this.tail()}`);
      await sleep(100);
    }
  }
}

/** Starts a server script and waits until it answers on `readyPath`. */
export async function startServer(
  options: NodeProcessOptions & { port?: number; readyPath?: string },
): Promise<ServerProcess> {
  const port = options.port ?? (await freePort());
  const server = new ServerProcess(
    { ...options, env: { ...options.env, PORT: String(port), HOST: '127.0.0.1' } },
    port,
  );
  try {
    await server.waitReady(options.readyPath);
  } catch (error) {
    await server.stop('SIGKILL');
    throw error;
  }
  return server;
}
