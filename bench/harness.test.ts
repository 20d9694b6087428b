import { describe, expect, it } from 'vitest';
import { runFanout } from './scenarios/fanout';

/**
 * Keeps the benchmark harness from rotting (the benchmarks themselves are `npm run bench`, never
 * part of `npm test`): the fan-out harness end to end at N = 10 for about a second per system —
 * dev server and standalone gateway on the real PostgreSQL and Redis, client processes, the HTTP
 * sender, histograms — and the Socket.IO peer. It checks what was delivered, never how fast.
 */
const services = Boolean(process.env.SC_TEST_DATABASE_URL && process.env.SC_TEST_REDIS_URL);

describe.skipIf(!services)('bench harness (needs PostgreSQL and Redis)', () => {
  it('runs one fan-out step at N = 10 for ours and for Socket.IO, every message delivered to every member once', async () => {
    const result = await runFanout({
      sizes: [10],
      systems: ['secureconnect', 'socket.io'],
      startRate: 20,
      warmupMs: 300,
      measureMs: 1000,
      maxSteps: 1,
      workers: 1,
      profile: false,
      record: false,
      quiet: true,
      // The whole suite may be running beside it: wait for stragglers rather than count them missing.
      drainStallMs: 10_000,
    });
    expect(result.runs.map((run: { system: string }) => run.system)).toEqual(['secureconnect', 'socket.io']);
    for (const run of result.runs) {
      const [step] = run.steps;
      expect(step.sent).toBe(20);
      expect(step.httpFailed).toBe(0);
      expect(step.expected).toBe(200);
      expect(step.delivered).toBe(step.expected);
      expect(step.p50Ms).toBeGreaterThan(0);
    }
  }, 60_000);
});
