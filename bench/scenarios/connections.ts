/**
 * Connections (SPEC §12): memory per idle authenticated socket at 10k and 50k sockets, for our
 * standalone gateway and for Socket.IO (+ its Redis adapter), and a bare `ws` server for
 * reference. Each server's RSS (and V8 heap) is read after two full GCs with a few hundred
 * sockets open (code loaded, pools warm) and again with 10k, then 50k; per socket is the
 * difference over the sockets added.
 *
 * 500 users in groups of 10 hold the sockets (100 per user: several devices per user is
 * legitimate), so each socket is subscribed to one conversation, as a typical idle client is.
 * 50k client sockets to one port need more than one loopback source address (~28k ephemeral
 * ports each) and more than the default descriptor limit: both are arranged here.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientKind } from '../lib/client-worker';
import { ClientPool } from '../lib/clients';
import { describeMachine } from '../lib/machine';
import { fdLimit, type MemoryReport, type ServerProcess, sleep, startServer } from '../lib/processes';
import { beginResult, formatRate, kib, printTable, writeResult } from '../lib/results';
import { type BenchUser, createGroup, prepareStack, registerUsers } from '../lib/stack';

export interface ConnectionsOptions {
  counts: number[];
  systems: ('secureconnect' | 'socket.io' | 'ws-bare')[];
  users: number;
  groupSize: number;
  /** Sockets open when the baseline is read. */
  baseline: number;
  workers: number;
  sourceAddresses: string[];
  record: boolean;
  /** Our gateway's entry (BENCH_GATEWAY_ENTRY): point it at a variant to measure a change. */
  gatewayEntry: string;
}

export const DEFAULT_CONNECTIONS: ConnectionsOptions = {
  counts: [10_000, 50_000],
  systems: ['secureconnect', 'socket.io', 'ws-bare'],
  users: 500,
  groupSize: 10,
  baseline: 500,
  workers: 4,
  sourceAddresses: ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'],
  record: true,
  gatewayEntry: process.env.BENCH_GATEWAY_ENTRY ?? 'realtime-gateway/src/main.ts',
};

export interface ConnectionsRow {
  system: string;
  role: 'ours' | 'peer' | 'reference';
  sockets: number;
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  rssPerSocketBytes: number;
  heapPerSocketBytes: number;
  connectPerSecond: number;
}

export async function runConnections(partial: Partial<ConnectionsOptions> = {}) {
  const options = { ...DEFAULT_CONNECTIONS, ...partial };
  const result = beginResult('connections');
  process.stdout.write(
    `\nconnections: ${options.counts.join(', ')} idle sockets; ${options.systems.join(', ')}\n`,
  );
  const rows: ConnectionsRow[] = [];
  const baselines: Record<string, MemoryReport> = {};
  // One server process holds every socket: it cannot hold more than its descriptor limit.
  const limit = fdLimit();
  const ceiling = limit - 1000;
  const counts = options.counts.map((count) => Math.min(count, ceiling));
  const capped = options.counts.filter((count) => count > ceiling);
  if (capped.length > 0)
    process.stdout.write(
      `  the descriptor limit here is ${limit} (the hard limit; raising it needs CAP_SYS_RESOURCE): ` +
        `${capped.map(formatRate).join(', ')} sockets measured as ${formatRate(ceiling)}\n`,
    );
  const stack = await prepareStack();
  try {
    const devServer = await startServer({
      name: 'dev-server',
      args: ['scripts/dev-server.ts'],
      env: stack.env,
    });
    let users: BenchUser[];
    const membership: Record<string, string[]> = {};
    try {
      users = await registerUsers(devServer.url, options.users);
      for (let index = 0; index < users.length; index += options.groupSize) {
        const members = users.slice(index, index + options.groupSize);
        const group = await createGroup(devServer.url, members[0] as BenchUser, members.slice(1));
        for (const member of members) membership[member.id] = [group];
      }
    } finally {
      await devServer.stop();
    }
    const membershipFile = join(stack.env.DATA_DIR as string, 'membership.json');
    await writeFile(membershipFile, JSON.stringify(membership));
    const tokens = users.map((user) => user.accessToken);

    for (const system of options.systems) {
      let server: ServerProcess;
      let kind: ClientKind;
      if (system === 'secureconnect') {
        server = await startServer({
          name: 'gateway',
          args: [options.gatewayEntry],
          env: stack.env,
        });
        kind = 'ours';
      } else if (system === 'socket.io') {
        server = await startServer({
          name: 'socket.io gateway',
          args: ['bench/systems/socketio.ts', 'gateway'],
          env: {
            REDIS_URL: stack.redisUrl,
            BENCH_KEY_PREFIX: stack.keyPrefix,
            JWT_PUBLIC_KEY: stack.publicKeyPem,
            BENCH_MEMBERSHIP_FILE: membershipFile,
          },
        });
        kind = 'socketio';
      } else {
        server = await startServer({
          name: 'ws gateway',
          args: ['bench/systems/ws-ceiling.ts', 'gateway'],
          env: { REDIS_URL: stack.redisUrl, BENCH_KEY_PREFIX: stack.keyPrefix },
        });
        kind = 'ceiling';
      }
      const role = system === 'secureconnect' ? 'ours' : system === 'socket.io' ? 'peer' : 'reference';
      const clients = ClientPool.start(options.workers, 4096);
      try {
        let open = 0;
        const connect = async (count: number) => {
          const outcome = await clients.connect({
            kind,
            url: server.url,
            tokens,
            count,
            localAddresses: options.sourceAddresses,
            parallel: 64,
          });
          if (outcome.failed > 0)
            throw new Error(
              `${system}: ${outcome.failed} of ${count} sockets failed: ${outcome.errors.join('; ')}`,
            );
          open += count;
          return outcome;
        };
        await connect(options.baseline);
        await sleep(2000);
        const baseline = await server.memory();
        baselines[system] = baseline;
        for (const target of [...new Set(counts)]) {
          const outcome = await connect(target - open);
          // Let the connection burst settle (presence announcements, subscriptions) before reading.
          await sleep(3000);
          const memory = await server.memory();
          const added = open - options.baseline;
          const { unexpectedCloses } = await clients.stats();
          if (unexpectedCloses > 0)
            throw new Error(`${system}: ${unexpectedCloses} sockets were closed by the server`);
          const row: ConnectionsRow = {
            system,
            role,
            sockets: open,
            rssBytes: memory.rss,
            heapUsedBytes: memory.heapUsed,
            externalBytes: memory.external,
            rssPerSocketBytes: Math.round((memory.rss - baseline.rss) / added),
            heapPerSocketBytes: Math.round(
              (memory.heapUsed + memory.external - baseline.heapUsed - baseline.external) / added,
            ),
            connectPerSecond: Math.round((outcome.connected / outcome.ms) * 1000),
          };
          rows.push(row);
          process.stdout.write(
            `  ${system} ${formatRate(open)} sockets: RSS ${formatRate(memory.rss / 2 ** 20)} MiB, ` +
              `${kib(row.rssPerSocketBytes)} KiB RSS and ${kib(row.heapPerSocketBytes)} KiB heap per socket ` +
              `(connected at ${formatRate(row.connectPerSecond)}/s)\n`,
          );
        }
      } finally {
        await clients.close();
        await server.stop();
      }
    }
  } finally {
    await stack.close();
  }

  result.settings = options;
  result.descriptorLimit = limit;
  result.requestedCounts = options.counts;
  result.measuredCounts = [...new Set(counts)];
  result.baselines = baselines;
  result.rows = rows;
  result.finishedAt = new Date().toISOString();
  if (options.record) {
    const file = await writeResult(result);
    const peer = (sockets: number) => rows.find((row) => row.role === 'peer' && row.sockets === sockets);
    printTable(
      `connections — memory per idle authenticated socket (${describeMachine(result.machine)})`,
      rows.map((row) => ({
        system: row.system,
        sockets: formatRate(row.sockets),
        'RSS MiB': formatRate(row.rssBytes / 2 ** 20),
        'KiB RSS/socket': kib(row.rssPerSocketBytes),
        'KiB heap/socket': kib(row.heapPerSocketBytes),
        'vs socket.io':
          row.role === 'peer' ? null : ratio(row.rssPerSocketBytes, peer(row.sockets)?.rssPerSocketBytes),
      })),
    );
    process.stdout.write(`\n  → ${file}\n`);
  }
  return result;
}

function ratio(ours: number, theirs: number | undefined): string | null {
  return theirs ? `${(ours / theirs).toFixed(2)}×` : null;
}
