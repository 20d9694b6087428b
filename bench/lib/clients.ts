import { decodeFromCompressedBase64, type Histogram } from 'hdr-histogram-js';
import type { ClientKind, ConnectRequest } from './client-worker';
import { NodeProcess } from './processes';

export interface CollectedStep {
  histogram: Histogram;
  measured: number;
  warm: number;
  stray: number;
  unexpectedCloses: number;
  clientCpuSeconds: number;
}

/**
 * The benchmark's WebSocket clients, spread over `workers` processes of their own (the load
 * generator shares the box with the server, so it must at least not share its event loop).
 */
export class ClientPool {
  private constructor(private readonly workers: NodeProcess[]) {}

  static start(workers: number, heapMb?: number): ClientPool {
    return new ClientPool(
      Array.from(
        { length: workers },
        (_, index) =>
          new NodeProcess({
            name: `clients-${index}`,
            args: ['bench/lib/client-worker.ts'],
            nodeFlags: heapMb ? [`--max-old-space-size=${heapMb}`] : [],
          }),
      ),
    );
  }

  get size(): number {
    return this.workers.length;
  }

  /** Opens `count` clients, split evenly over the workers; resolves once every one is ready. */
  async connect(
    request: Omit<ConnectRequest, 'count'> & { count: number },
  ): Promise<{ connected: number; failed: number; errors: string[]; ms: number }> {
    const shares = this.workers.map(
      (_, index) =>
        Math.floor(request.count / this.workers.length) +
        (index < request.count % this.workers.length ? 1 : 0),
    );
    let offset = 0;
    const results = await Promise.all(
      this.workers.map((worker, index) => {
        const count = shares[index] as number;
        // Each worker starts at its own offset in the token and address lists.
        const rotate = <T>(list: T[]) => list.map((_, i) => list[(i + offset) % list.length] as T);
        const share = {
          ...request,
          count,
          tokens: rotate(request.tokens),
          localAddresses: rotate(request.localAddresses),
        };
        offset += count;
        return worker.request<{ connected: number; failed: number; errors: string[]; ms: number }>(
          { cmd: 'connect', ...share },
          600_000,
        );
      }),
    );
    return {
      connected: results.reduce((sum, r) => sum + r.connected, 0),
      failed: results.reduce((sum, r) => sum + r.failed, 0),
      errors: results.flatMap((r) => r.errors).slice(0, 5),
      ms: Math.max(...results.map((r) => r.ms)),
    };
  }

  async beginStep(step: number): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.request({ cmd: 'step', step })));
  }

  /** Merges every worker's histogram and counters for the current step. */
  async collect(): Promise<CollectedStep> {
    const parts = await Promise.all(
      this.workers.map((worker) =>
        worker.request<{
          histogram: string;
          measured: number;
          warm: number;
          stray: number;
          unexpectedCloses: number;
          cpuSeconds: number;
        }>({ cmd: 'collect' }),
      ),
    );
    const [first, ...rest] = parts.map((part) => decodeFromCompressedBase64(part.histogram));
    const histogram = first as Histogram;
    for (const other of rest) histogram.add(other);
    const sum = (key: 'measured' | 'warm' | 'stray' | 'unexpectedCloses' | 'cpuSeconds') =>
      parts.reduce((total, part) => total + part[key], 0);
    return {
      histogram,
      measured: sum('measured'),
      warm: sum('warm'),
      stray: sum('stray'),
      unexpectedCloses: sum('unexpectedCloses'),
      clientCpuSeconds: sum('cpuSeconds'),
    };
  }

  /** Total frames received and when the last one arrived (epoch ms), over all workers. */
  async stats(): Promise<{ received: number; lastMessageAt: number; unexpectedCloses: number }> {
    const parts = await Promise.all(
      this.workers.map((worker) =>
        worker.request<{ received: number; lastMessageAt: number; unexpectedCloses: number }>({
          cmd: 'stats',
        }),
      ),
    );
    return {
      received: parts.reduce((sum, part) => sum + part.received, 0),
      lastMessageAt: Math.max(...parts.map((part) => part.lastMessageAt)),
      unexpectedCloses: parts.reduce((sum, part) => sum + part.unexpectedCloses, 0),
    };
  }

  /** CPU seconds the workers used so far. */
  cpuSeconds(): number {
    return this.workers.reduce((sum, worker) => sum + (worker.alive ? worker.cpuSeconds() : 0), 0);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (worker) => {
        if (worker.alive) await worker.request({ cmd: 'close' }, 30_000).catch(() => {});
        await worker.stop('SIGTERM', 5000);
      }),
    );
  }
}

export type { ClientKind };
