import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname } from 'node:path';

/** A child process with its output kept line by line, for assertions and failure messages. */
export interface ChildRun {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** The exit code; null when a signal ended it. */
  exited: Promise<number | null>;
}

/** A server process that logged the port it listens on. */
export interface ListeningChild extends ChildRun {
  port: number;
  /** `http://127.0.0.1:<port>`, whatever HOST it bound (0.0.0.0 included). */
  url: string;
}

/** Every child still running, killed when the test process exits however it exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

function collectLines(stream: NodeJS.ReadableStream | null, into: string[]): void {
  let partial = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    into.push(...lines);
  });
  stream?.on('end', () => {
    if (partial) into.push(partial);
  });
}

/**
 * Runs `command args` with exactly `env` plus PATH: nothing of the test runner's environment
 * leaks in, so the process is configured the way its container or watchdog configures it.
 */
export function spawnProcess(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string> },
): ChildRun {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  collectLines(child.stdout, stdout);
  collectLines(child.stderr, stderr);
  const exited = once(child, 'exit').then(([code]) => {
    running.delete(child);
    return code as number | null;
  });
  return { child, stdout, stderr, exited };
}

/** `node <file>` from the file's folder with exactly `env` (plus PATH), as of-watchdog forks a bundle. */
export function runNodeFile(file: string, env: Record<string, string>): ChildRun {
  return spawnProcess(process.execPath, [file], { cwd: dirname(file), env });
}

/**
 * Waits for the JSON log line our servers write once they listen (`msg` mentioning `listening`,
 * with the bound `port`), so PORT=0 works and no port is guessed. Rejects, with the process's
 * stderr, if it exits first or stays silent past `timeoutMs`.
 */
export function untilListening(run: ChildRun, name: string, timeoutMs = 30_000): Promise<ListeningChild> {
  return new Promise<ListeningChild>((resolve, reject) => {
    let scanned = 0;
    const finish = (error?: Error, port?: number) => {
      clearInterval(poll);
      clearTimeout(deadline);
      if (error) reject(error);
      else resolve({ ...run, port: port as number, url: `http://127.0.0.1:${port}` });
    };
    const poll = setInterval(() => {
      for (; scanned < run.stdout.length; scanned++) {
        const line = run.stdout[scanned] as string;
        if (!line.startsWith('{')) continue;
        const entry = JSON.parse(line) as { msg?: string; port?: number };
        if (entry.msg?.includes('listening') && entry.port) return finish(undefined, entry.port);
      }
    }, 25);
    const deadline = setTimeout(
      () => finish(new Error(`${name} did not listen within ${timeoutMs} ms:\n${run.stderr.join('\n')}`)),
      timeoutMs,
    );
    run.exited.then((code) =>
      finish(new Error(`${name} exited with ${code} before listening:\n${run.stderr.join('\n')}`)),
    );
  });
}

/** Kills a child outright (SIGKILL) and waits until it is gone; a no-op once it has exited. */
export async function killProcess(run: ChildRun | undefined): Promise<void> {
  if (!run || run.child.exitCode !== null || run.child.signalCode !== null) return;
  run.child.kill('SIGKILL');
  await run.exited;
}

/** Kills every child this module started that still runs (a test file's afterAll). */
export async function killAllProcesses(): Promise<void> {
  await Promise.all(
    [...running].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGKILL');
      await gone;
    }),
  );
}
