/**
 * Fan-out (SPEC §12): one sender posts messages over HTTP to a group of N members, all connected
 * to one gateway process, at a fixed rate; every receiver records send→receive latency. The rate
 * is doubled until a step fails, then bisected: the result is the highest rate whose p99 stays
 * ≤ 100 ms with every message delivered, as deliveries/s (messages/s × N).
 *
 * Three systems in the same run, the same clients, sender and step procedure:
 * - ours: the dev server (functions on PostgreSQL + Redis) takes the send; the standalone gateway
 *   (realtime-gateway/src/main.ts) holds the sockets and fans out from Redis pub/sub;
 * - the peer: Socket.IO + @socket.io/redis-adapter, an API process emitting to the room through
 *   Redis and a gateway process holding the sockets;
 * - the ceiling: a bare `ws` server writing each pre-encoded frame from a Redis channel to every
 *   socket.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientKind } from '../lib/client-worker';
import { ClientPool, type CollectedStep } from '../lib/clients';
import { boxUsage } from '../lib/cpu';
import { describeMachine } from '../lib/machine';
import { type ServerProcess, sleep, startServer } from '../lib/processes';
import { type ProfileSummary, summarizeProfile } from '../lib/profile';
import { beginResult, formatRate, percentiles, printTable, RESULTS_DIR, writeResult } from '../lib/results';
import { RateSender } from '../lib/sender';
import { type BenchUser, createGroup, prepareStack, registerUsers, type Stack } from '../lib/stack';

export type SystemName = 'secureconnect' | 'secureconnect-gateway' | 'socket.io' | 'ws-ceiling';

export interface FanoutOptions {
  sizes: number[];
  systems: SystemName[];
  warmupMs: number;
  measureMs: number;
  /** Steps per system and size, at most. */
  maxSteps: number;
  /** Stop bisecting when the failing rate is within this factor of the passing one. */
  precision: number;
  /** Client processes. */
  workers: number;
  /** p99 bound of a passing step. */
  p99LimitMs: number;
  /** Record a CPU profile of our gateway (and dev server) at the found rate, for the largest N. */
  profile: boolean;
  /** Use socket.io-client for the peer instead of the raw-protocol client. */
  officialSocketIoClient: boolean;
  /** Write results/ and print tables (the smoke test does not). */
  record: boolean;
  /** No progress lines. */
  quiet?: boolean;
  /** Run a step that failed on p99 alone once more before counting it as failed. */
  retryFailedSteps: boolean;
  /** Messages/s of the first step; default: START_DELIVERIES / N. */
  startRate?: number;
  /** Our gateway's entry (BENCH_GATEWAY_ENTRY): point it at a variant to measure a change. */
  gatewayEntry: string;
  /** Run exactly these rates (messages/s) instead of searching: for comparing two variants. */
  fixedRates?: number[];
  /** After the last send, how long arrivals may pause before the step's deliveries are counted. */
  drainStallMs: number;
}

export const DEFAULT_FANOUT: FanoutOptions = {
  sizes: [100, 1000],
  systems: ['secureconnect', 'secureconnect-gateway', 'socket.io', 'ws-ceiling'],
  warmupMs: 1000,
  measureMs: 4000,
  maxSteps: 8,
  precision: 1.15,
  workers: 2,
  p99LimitMs: 100,
  profile: true,
  officialSocketIoClient: false,
  record: true,
  retryFailedSteps: true,
  gatewayEntry: process.env.BENCH_GATEWAY_ENTRY ?? 'realtime-gateway/src/main.ts',
  drainStallMs: 1500,
};

/** Deliveries/s of the first step; doubled from there. */
const START_DELIVERIES = 25_000;
/** Messages/s the sender never goes past, whatever N (bounds the run). */
const MAX_RATE = 8000;

export interface StepResult {
  rate: number;
  deliveriesPerSecond: number;
  pass: boolean;
  why: string[];
  sent: number;
  httpFailed: number;
  skipped: number;
  expected: number;
  delivered: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  httpP99Ms: number;
  gatewayCpuPercent: number;
  apiCpuPercent: number;
  clientCpuPercent: number;
  boxCpuPercent: number;
  /** Gateway CPU time per delivery. */
  gatewayCpuUsPerDelivery: number;
  /** This attempt failed and the step was run again. */
  retried?: boolean;
}

export interface SystemRun {
  system: SystemName;
  role: 'ours' | 'peer' | 'ceiling';
  n: number;
  best: StepResult | null;
  steps: StepResult[];
  capped: boolean;
  gatewayRssBytes: number;
  /**
   * Our gateway's counters after the run: events it had to read from the event log (a gap:
   * pushes arriving out of seq order or lost) and frames dropped for slow consumers.
   */
  gatewayCounters?: Record<string, number>;
}

/** The gateway's own account of recovery work during the run, from its /metrics. */
async function ourCounters(gateway: ServerProcess): Promise<Record<string, number>> {
  const text = await fetch(`${gateway.url}/metrics`).then((response) => response.text());
  const counters: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match =
      /^(realtime_events_from_log_total|websocket_frames_dropped_total|realtime_degraded_polls_total)(\{[^}]*\})? (\S+)$/.exec(
        line,
      );
    if (!match) continue;
    const cause = /cause="([^"]+)"/.exec(match[2] ?? '')?.[1];
    counters[cause ? `${match[1]}{cause=${cause}}` : (match[1] as string)] = Number(match[3]);
  }
  return counters;
}

interface RunningSystem {
  api: ServerProcess;
  gateway: ServerProcess;
  clientKind: ClientKind;
  stop(): Promise<void>;
}

interface Fixture {
  stack: Stack;
  devServer: ServerProcess;
  users: BenchUser[];
  groups: Map<number, string>;
}

const ROLE: Record<SystemName, SystemRun['role']> = {
  secureconnect: 'ours',
  'secureconnect-gateway': 'ours',
  'socket.io': 'peer',
  'ws-ceiling': 'ceiling',
};

async function startSystem(
  name: SystemName,
  fixture: Fixture,
  conversationId: string,
  options: FanoutOptions,
): Promise<RunningSystem> {
  const { stack } = fixture;
  if (name === 'secureconnect') {
    const gateway = await startServer({
      name: 'gateway',
      args: [options.gatewayEntry],
      env: stack.env,
    });
    return {
      api: fixture.devServer,
      gateway,
      clientKind: 'ours',
      stop: () => gateway.stop(),
    };
  }
  if (name === 'secureconnect-gateway') {
    const conversation = await fetch(`${fixture.devServer.url}/v1/conversations/${conversationId}`, {
      headers: { authorization: `Bearer ${(fixture.users[0] as BenchUser).accessToken}` },
    }).then((response) => response.json() as Promise<{ lastSeq: number }>);
    const gateway = await startServer({
      name: 'gateway',
      args: [options.gatewayEntry],
      env: stack.env,
    });
    const api = await startServer({
      name: 'bus publisher',
      args: ['bench/systems/bus-publisher.ts'],
      env: { ...stack.env, BENCH_FIRST_SEQ: String(conversation.lastSeq + 1) },
    });
    return {
      api,
      gateway,
      clientKind: 'ours',
      async stop() {
        await api.stop();
        await gateway.stop();
      },
    };
  }
  const script = name === 'socket.io' ? 'bench/systems/socketio.ts' : 'bench/systems/ws-ceiling.ts';
  const env = {
    REDIS_URL: stack.redisUrl,
    BENCH_KEY_PREFIX: stack.keyPrefix,
    JWT_PUBLIC_KEY: stack.publicKeyPem,
    BENCH_CONVERSATION_ID: conversationId,
  };
  const gateway = await startServer({ name: `${name} gateway`, args: [script, 'gateway'], env });
  const api = await startServer({ name: `${name} api`, args: [script, 'api'], env });
  return {
    api,
    gateway,
    clientKind:
      name === 'ws-ceiling' ? 'ceiling' : options.officialSocketIoClient ? 'socketio' : 'socketio-raw',
    async stop() {
      await api.stop();
      await gateway.stop();
    },
  };
}

/** Waits until no frame has arrived for `quietMs` (a previous overloaded step may still be draining). */
async function waitQuiet(clients: ClientPool, quietMs = 500, capMs = 30_000): Promise<void> {
  const deadline = Date.now() + capMs;
  let last = (await clients.stats()).received;
  let since = Date.now();
  while (Date.now() < deadline) {
    await sleep(100);
    const { received } = await clients.stats();
    if (received !== last) {
      last = received;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
  }
}

/** Waits until `target` frames have arrived or arrivals stop for a while. */
async function waitDelivered(
  clients: ClientPool,
  target: number,
  stallMs = 1500,
  capMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + capMs;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const { received } = await clients.stats();
    if (received >= target) return;
    if (received !== last) {
      last = received;
      since = Date.now();
    } else if (Date.now() - since >= stallMs) return;
    await sleep(50);
  }
}

class Stepper {
  private step = 0;

  constructor(
    private readonly system: RunningSystem,
    private clients: ClientPool,
    private readonly sender: RateSender,
    private readonly n: number,
    private readonly options: FanoutOptions,
    private readonly reconnect: () => Promise<ClientPool>,
  ) {}

  get pool(): ClientPool {
    return this.clients;
  }

  async run(rate: number): Promise<StepResult> {
    const { warmupMs, measureMs, p99LimitMs } = this.options;
    await waitQuiet(this.clients);
    const step = ++this.step + Math.floor(Math.random() * 1e6) * 100;
    await this.clients.beginStep(step);
    const before = (await this.clients.stats()).received;
    let gatewayCpu = 0;
    let apiCpu = 0;
    let clientCpu = 0;
    let box = () => 0;
    const { warm, measured, sendSeconds } = await this.sender.run(rate, warmupMs, measureMs, step, () => {
      gatewayCpu = this.system.gateway.cpuSeconds();
      apiCpu = this.system.api.cpuSeconds();
      clientCpu = this.clients.cpuSeconds();
      box = boxUsage();
    });
    const gatewaySeconds = this.system.gateway.cpuSeconds() - gatewayCpu;
    const apiSeconds = this.system.api.cpuSeconds() - apiCpu;
    const clientSeconds = this.clients.cpuSeconds() - clientCpu;
    const boxPercent = box();
    const expected = measured.ok * this.n;
    await waitDelivered(this.clients, before + (warm.ok + measured.ok) * this.n, this.options.drainStallMs);
    const collected: CollectedStep = await this.clients.collect();
    const latency = percentiles(collected.histogram);
    const http = percentiles(measured.http);
    const why: string[] = [];
    if (latency.p99Ms > p99LimitMs) why.push(`p99 ${latency.p99Ms} ms > ${p99LimitMs} ms`);
    if (collected.measured < expected) why.push(`${expected - collected.measured} deliveries missing`);
    if (collected.measured > expected) why.push(`${collected.measured - expected} deliveries too many`);
    if (measured.failed + warm.failed > 0)
      why.push(`${measured.failed + warm.failed} sends failed ${JSON.stringify(measured.statuses)}`);
    if (measured.skipped + warm.skipped > 0)
      why.push(`${measured.skipped + warm.skipped} sends skipped (server behind)`);
    if (collected.unexpectedCloses > 0)
      why.push(`${collected.unexpectedCloses} sockets closed by the server`);
    const deliveries = measured.ok * this.n;
    const result: StepResult = {
      rate,
      deliveriesPerSecond: Math.round(rate * this.n),
      pass: why.length === 0,
      why,
      sent: measured.attempted,
      httpFailed: measured.failed,
      skipped: measured.skipped,
      expected,
      delivered: collected.measured,
      p50Ms: latency.p50Ms,
      p90Ms: latency.p90Ms,
      p99Ms: latency.p99Ms,
      maxMs: latency.maxMs,
      httpP99Ms: http.p99Ms,
      gatewayCpuPercent: Math.round((gatewaySeconds / sendSeconds) * 1000) / 10,
      apiCpuPercent: Math.round((apiSeconds / sendSeconds) * 1000) / 10,
      clientCpuPercent: Math.round((clientSeconds / sendSeconds) * 1000) / 10,
      boxCpuPercent: boxPercent,
      gatewayCpuUsPerDelivery: deliveries > 0 ? Math.round((gatewaySeconds / deliveries) * 1e7) / 10 : 0,
    };
    if (collected.unexpectedCloses > 0) this.clients = await this.reconnect();
    return result;
  }
}

/** Doubles from the start rate until a step fails, then bisects between the best pass and the first fail. */
async function findCapacity(stepper: Stepper, n: number, options: FanoutOptions, label: string) {
  const steps: StepResult[] = [];
  let rate = options.startRate ?? Math.max(1, Math.round(START_DELIVERIES / n));
  let best: StepResult | null = null;
  let worst: StepResult | null = null;
  let capped = false;
  const report = (result: StepResult) => {
    if (options.quiet) return;
    process.stdout.write(
      `  ${label} ${String(result.rate).padStart(5)} msg/s = ${formatRate(result.deliveriesPerSecond).padStart(9)} deliveries/s: ` +
        `p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms; CPU gateway ${result.gatewayCpuPercent}% api ${result.apiCpuPercent}% ` +
        `clients ${result.clientCpuPercent}% box ${result.boxCpuPercent}% ` +
        `${result.pass ? 'pass' : `FAIL (${result.why.join('; ')})${result.retried ? ', once more' : ''}`}\n`,
    );
  };
  if (options.fixedRates) {
    for (const fixed of options.fixedRates) {
      const result = await stepper.run(fixed);
      steps.push(result);
      report(result);
      if (result.pass && (!best || result.rate > best.rate)) best = result;
    }
    return { steps, best, capped };
  }
  for (let index = 0; index < options.maxSteps; index++) {
    let result = await stepper.run(rate);
    // The box is shared: a step that failed on latency alone gets one more try, for every system alike.
    if (!result.pass && result.why.every((why) => why.startsWith('p99')) && options.retryFailedSteps) {
      result.retried = true;
      steps.push(result);
      report(result);
      result = await stepper.run(rate);
    }
    steps.push(result);
    report(result);
    if (result.pass) {
      if (!best || result.rate > best.rate) best = result;
    } else if (!worst || result.rate < worst.rate) worst = result;
    let next: number;
    if (best && worst) {
      if (worst.rate / best.rate <= options.precision) break;
      next = Math.round((best.rate + worst.rate) / 2);
    } else if (best) next = best.rate * 2;
    else next = Math.floor(rate / 2);
    if (next > MAX_RATE) {
      capped = true;
      break;
    }
    if (next < 1 || next === rate) break;
    rate = next;
  }
  return { steps, best, capped };
}

export async function runFanout(partial: Partial<FanoutOptions> = {}) {
  const options = { ...DEFAULT_FANOUT, ...partial };
  const result = beginResult('fanout');
  const runs: SystemRun[] = [];
  const profiles: Record<string, { step: StepResult; processes: Record<string, ProfileSummary> }> = {};
  const maxN = Math.max(...options.sizes);
  if (options.record)
    process.stdout.write(`\nfan-out: N = ${options.sizes.join(', ')}; ${options.systems.join(', ')}\n`);

  const stack = await prepareStack();
  const devServer = await startServer({
    name: 'dev-server',
    args: ['scripts/dev-server.ts'],
    env: stack.env,
  });
  try {
    const registering = Date.now();
    const users = await registerUsers(devServer.url, maxN);
    if (!options.quiet)
      process.stdout.write(`  registered ${maxN} users through the API in ${Date.now() - registering} ms\n`);
    const groups = new Map<number, string>();
    for (const n of options.sizes)
      groups.set(n, await createGroup(devServer.url, users[0] as BenchUser, users.slice(1, n)));
    const fixture: Fixture = { stack, devServer, users, groups };

    for (const n of options.sizes) {
      const conversationId = groups.get(n) as string;
      for (const name of options.systems) {
        const system = await startSystem(name, fixture, conversationId, options);
        const connect = async () => {
          const pool = ClientPool.start(options.workers);
          const connected = await pool.connect({
            kind: system.clientKind,
            url: system.gateway.url,
            tokens: users.slice(0, n).map((user) => user.accessToken),
            count: n,
            localAddresses: ['127.0.0.1'],
            parallel: 50,
          });
          if (connected.failed > 0)
            throw new Error(
              `${name}: ${connected.failed} of ${n} clients failed: ${connected.errors.join('; ')}`,
            );
          return pool;
        };
        let clients = await connect();
        const sender = new RateSender({
          url: `${system.api.url}/v1/conversations/${conversationId}/messages`,
          headers: { authorization: `Bearer ${(users[0] as BenchUser).accessToken}` },
          payload: (body, index) => JSON.stringify({ clientMessageId: `bench-${Date.now()}-${index}`, body }),
        });
        try {
          const stepper = new Stepper(system, clients, sender, n, options, async () => {
            await clients.close();
            clients = await connect();
            return clients;
          });
          const label = `${name} N=${n}`;
          const { steps, best, capped } = await findCapacity(stepper, n, options, label);
          clients = stepper.pool;
          const gatewayRssBytes = system.gateway.rssBytes();
          const gatewayCounters =
            system.clientKind === 'ours' ? await ourCounters(system.gateway) : undefined;
          runs.push({
            system: name,
            role: ROLE[name],
            n,
            best,
            steps,
            capped,
            gatewayRssBytes,
            gatewayCounters,
          });

          if (options.profile && ROLE[name] === 'ours' && n === maxN && best) {
            // One more step at the found rate with the profiler on: the gateway, and for the
            // full path the dev server too (it shares the box and takes the sends).
            const dir = join(RESULTS_DIR, 'profiles');
            await mkdir(dir, { recursive: true });
            const stamp = result.startedAt.replace(/[:.]/g, '-');
            const targets: [string, ServerProcess][] = [['gateway', system.gateway]];
            if (name === 'secureconnect') targets.push(['dev-server', devServer]);
            await Promise.all(targets.map(([, target]) => target.profileStart()));
            const step = await stepper.run(best.rate);
            const summaries: Record<string, ProfileSummary> = {};
            for (const [label, target] of targets) {
              const file = await target.profileStop(
                join(dir, `fanout-${name}-${n}-${label}-${stamp}.cpuprofile`),
              );
              summaries[label] = await summarizeProfile(file);
            }
            profiles[name] = { step, processes: summaries };
          }
        } finally {
          sender.close();
          await clients.close();
          await system.stop();
        }
      }
    }
  } finally {
    await devServer.stop();
    await stack.close();
  }

  result.settings = options;
  result.runs = runs;
  result.summary = summarize(runs);
  result.profiles = profiles;
  result.finishedAt = new Date().toISOString();
  if (options.record) {
    const file = await writeResult(result);
    printTable(
      `fan-out — highest rate with p99 ≤ ${options.p99LimitMs} ms (${describeMachine(result.machine)})`,
      result.summary.map((row: SummaryRow) => ({
        N: row.n,
        system: row.system,
        'msg/s': row.rate,
        'deliveries/s': row.deliveriesPerSecond === null ? null : formatRate(row.deliveriesPerSecond),
        'p50 ms': row.p50Ms,
        'p99 ms': row.p99Ms,
        'gw CPU µs/delivery': row.gatewayCpuUsPerDelivery,
        'vs socket.io': row.vsPeer,
        'vs ceiling': row.vsCeiling,
      })),
    );
    for (const [name, profiled] of Object.entries(profiles))
      for (const [label, summary] of Object.entries(profiled.processes))
        printProfile(`${name}: ${label}`, summary);
    process.stdout.write(`\n  → ${file}\n`);
  }
  return result;
}

export interface SummaryRow {
  n: number;
  system: SystemName;
  rate: number | null;
  deliveriesPerSecond: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  gatewayCpuUsPerDelivery: number | null;
  capped: boolean;
  vsPeer: string | null;
  vsCeiling: string | null;
}

function summarize(runs: SystemRun[]): SummaryRow[] {
  const find = (n: number, system: SystemName) =>
    runs.find((run) => run.n === n && run.system === system)?.best;
  const ratio = (a: number | undefined, b: number | undefined) =>
    a !== undefined && b ? `${(a / b).toFixed(2)}×` : null;
  return runs.map((run) => ({
    n: run.n,
    system: run.system,
    rate: run.best?.rate ?? null,
    deliveriesPerSecond: run.best?.deliveriesPerSecond ?? null,
    p50Ms: run.best?.p50Ms ?? null,
    p99Ms: run.best?.p99Ms ?? null,
    gatewayCpuUsPerDelivery: run.best?.gatewayCpuUsPerDelivery ?? null,
    capped: run.capped,
    vsPeer:
      run.system === 'socket.io'
        ? null
        : ratio(run.best?.deliveriesPerSecond, find(run.n, 'socket.io')?.deliveriesPerSecond),
    vsCeiling:
      run.system === 'ws-ceiling'
        ? null
        : ratio(run.best?.deliveriesPerSecond, find(run.n, 'ws-ceiling')?.deliveriesPerSecond),
  }));
}

function printProfile(name: string, summary: ProfileSummary): void {
  printTable(
    `CPU profile of the ${name} during one step (${summary.durationMs} ms, idle ${summary.idlePercent}%) — ${summary.file}`,
    summary.topFrames.slice(0, 15).map((frame) => ({
      'self %': frame.selfPercent,
      function: frame.function,
      where: frame.where,
    })),
  );
  printTable(
    `  by area`,
    summary.byArea.map((area) => ({ area: area.area, 'self %': area.selfPercent })),
  );
}
