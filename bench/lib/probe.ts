/**
 * Preloaded (`--import`) into every server process the benchmarks start — ours and the peers —
 * so the harness can ask each the same questions over the IPC channel without touching its code:
 * settle and collect garbage, report memory, and record a CPU profile of a chosen window.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { writeHeapSnapshot } from 'node:v8';

export type ProbeRequest =
  | { probe: 'memory'; id: number; gc: boolean }
  | { probe: 'profile-start'; id: number }
  | { probe: 'profile-stop'; id: number; file: string }
  | { probe: 'heap-snapshot'; id: number; file: string };

export interface ProbeReply {
  probe: 'reply';
  id: number;
  result?: unknown;
  error?: string;
}

let session: Session | undefined;

async function handle(request: ProbeRequest): Promise<unknown> {
  switch (request.probe) {
    case 'memory': {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (request.gc && gc) {
        // Twice, with a pause: the first pass may only make more garbage collectable.
        gc();
        await new Promise((resolve) => setTimeout(resolve, 200));
        gc();
      }
      return { ...process.memoryUsage(), gcExposed: gc !== undefined };
    }
    case 'heap-snapshot':
      return writeHeapSnapshot(request.file);
    case 'profile-start':
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 500 });
      await session.post('Profiler.start');
      return true;
    case 'profile-stop': {
      if (!session) throw new Error('no profile running');
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      session = undefined;
      await writeFile(request.file, JSON.stringify(profile));
      return request.file;
    }
  }
}

if (process.send) {
  process.on('message', (message: unknown) => {
    const request = message as ProbeRequest;
    if (typeof request?.probe !== 'string' || request.probe === ('reply' as string)) return;
    handle(request).then(
      (result) => process.send?.({ probe: 'reply', id: request.id, result } satisfies ProbeReply),
      (error: unknown) =>
        process.send?.({ probe: 'reply', id: request.id, error: String(error) } satisfies ProbeReply),
    );
  });
  // The channel must not keep a server alive that is shutting down.
  process.channel?.unref();
}
