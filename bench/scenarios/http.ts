/**
 * HTTP (SPEC §12): messages-send through the dev server on PostgreSQL + Redis (rate limits off)
 * at a fixed concurrency, with autocannon; beside it the dev server's /healthz (the same app and
 * middleware, no stores) and a bare Hono hello-world on @hono/node-server (the ceiling).
 */
import autocannon from 'autocannon';
import { boxUsage } from '../lib/cpu';
import { describeMachine } from '../lib/machine';
import { type ServerProcess, startServer } from '../lib/processes';
import { beginResult, formatRate, printTable, writeResult } from '../lib/results';
import { type BenchUser, createGroup, prepareStack, registerUsers } from '../lib/stack';

export interface HttpOptions {
  connections: number;
  durationMs: number;
  warmupMs: number;
  /** Senders, each posting into its own group. */
  senders: number;
  groupSize: number;
  record: boolean;
}

export const DEFAULT_HTTP: HttpOptions = {
  connections: 32,
  durationMs: 10_000,
  warmupMs: 2000,
  senders: 10,
  groupSize: 10,
  record: true,
};

export interface HttpRow {
  target: string;
  role: 'ours' | 'reference' | 'ceiling';
  requestsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  requests: number;
  non2xx: number;
  errors: number;
  serverCpuPercent: number;
  boxCpuPercent: number;
}

async function measure(
  target: string,
  role: HttpRow['role'],
  server: ServerProcess,
  options: HttpOptions,
  request: Parameters<typeof autocannon>[0],
): Promise<HttpRow> {
  // Warm-up (JIT, pools, caches), then the measured run.
  await autocannon({ ...request, connections: options.connections, duration: options.warmupMs / 1000 });
  const cpu = server.cpuSeconds();
  const box = boxUsage();
  const result = await autocannon({
    ...request,
    connections: options.connections,
    duration: options.durationMs / 1000,
  });
  const seconds = options.durationMs / 1000;
  const row: HttpRow = {
    target,
    role,
    requestsPerSecond: Math.round(result.requests.total / seconds),
    p50Ms: result.latency.p50,
    p90Ms: result.latency.p90,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    serverCpuPercent: Math.round(((server.cpuSeconds() - cpu) / seconds) * 1000) / 10,
    boxCpuPercent: box(),
  };
  process.stdout.write(
    `  ${target}: ${formatRate(row.requestsPerSecond)} req/s, p50 ${row.p50Ms} ms, p99 ${row.p99Ms} ms` +
      `${row.non2xx + row.errors > 0 ? `, ${row.non2xx} non-2xx, ${row.errors} errors` : ''}\n`,
  );
  return row;
}

export async function runHttp(partial: Partial<HttpOptions> = {}) {
  const options = { ...DEFAULT_HTTP, ...partial };
  const result = beginResult('http');
  process.stdout.write(
    `\nhttp: ${options.connections} connections, ${options.durationMs / 1000} s per target\n`,
  );
  const rows: HttpRow[] = [];
  const stack = await prepareStack();
  const devServer = await startServer({
    name: 'dev-server',
    args: ['scripts/dev-server.ts'],
    env: stack.env,
  });
  try {
    const users = await registerUsers(devServer.url, options.senders * options.groupSize);
    const pairs: { token: string; path: string }[] = [];
    for (let index = 0; index < options.senders; index++) {
      const members = users.slice(index * options.groupSize, (index + 1) * options.groupSize);
      const owner = members[0] as BenchUser;
      const group = await createGroup(devServer.url, owner, members.slice(1));
      pairs.push({ token: owner.accessToken, path: `/v1/conversations/${group}/messages` });
    }
    let sent = 0;
    rows.push(
      await measure('messages-send (dev server, PostgreSQL + Redis)', 'ours', devServer, options, {
        url: devServer.url,
        requests: [
          {
            method: 'POST',
            setupRequest: (request) => {
              const pair = pairs[sent % pairs.length] as { token: string; path: string };
              sent++;
              return {
                ...request,
                path: pair.path,
                headers: { 'content-type': 'application/json', authorization: `Bearer ${pair.token}` },
                body: JSON.stringify({
                  clientMessageId: `http-${sent}-${Date.now()}`,
                  body: `message ${sent}`,
                }),
              };
            },
          },
        ],
      }),
    );
    rows.push(
      await measure('GET /healthz (dev server, no stores)', 'reference', devServer, options, {
        url: `${devServer.url}/healthz`,
      }),
    );
  } finally {
    await devServer.stop();
    await stack.close();
  }
  const hello = await startServer({ name: 'hono-hello', args: ['bench/systems/hono-hello.ts'] });
  try {
    rows.push(
      await measure('GET /hello (bare Hono on @hono/node-server)', 'ceiling', hello, options, {
        url: `${hello.url}/hello`,
      }),
    );
  } finally {
    await hello.stop();
  }

  const ceiling = rows.find((row) => row.role === 'ceiling')?.requestsPerSecond ?? 0;
  result.settings = options;
  result.rows = rows.map((row) => ({
    ...row,
    vsCeiling: ceiling ? Math.round((row.requestsPerSecond / ceiling) * 1000) / 1000 : null,
  }));
  result.finishedAt = new Date().toISOString();
  if (options.record) {
    const file = await writeResult(result);
    printTable(
      `http — ${options.connections} connections, ${options.durationMs / 1000} s (${describeMachine(result.machine)})`,
      result.rows.map((row: HttpRow & { vsCeiling: number | null }) => ({
        target: row.target,
        'req/s': formatRate(row.requestsPerSecond),
        'p50 ms': row.p50Ms,
        'p99 ms': row.p99Ms,
        'non-2xx': row.non2xx,
        'server CPU %': row.serverCpuPercent,
        'vs ceiling': row.vsCeiling === null ? null : `${(row.vsCeiling * 100).toFixed(1)}%`,
      })),
    );
    process.stdout.write(`\n  → ${file}\n`);
  }
  return result;
}
