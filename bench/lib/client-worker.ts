/**
 * A load-generating process: holds a share of the benchmark's WebSocket clients and records
 * send→receive latency of marked messages into an HDR histogram. Driven by the harness over IPC
 * (see clients.ts); one such process per core's worth of clients, apart from the server so the
 * server's CPU is not spent on them.
 */
import { build, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js';
import { io, type Socket } from 'socket.io-client';
import { nowMs, readMarker } from './marker';
import { RawWebSocket } from './raw-websocket';

export type ClientKind = 'ours' | 'ceiling' | 'socketio-raw' | 'socketio';

export interface ConnectRequest {
  kind: ClientKind;
  /** Server base URL (http://host:port). */
  url: string;
  /** Access tokens, used round-robin (several sockets per user is legitimate). */
  tokens: string[];
  count: number;
  /** Loopback source addresses, round-robin: one address has only ~28k ephemeral ports. */
  localAddresses: string[];
  /** Handshakes in flight at once. */
  parallel: number;
}

interface Client {
  close(): void;
}

const ENGINE_IO_PATH = '/socket.io/?EIO=4&transport=websocket';

let step = -1;
let histogram: Histogram = newHistogram();
let measured = 0;
let warm = 0;
let stray = 0;
let received = 0;
let lastMessageAt = 0;
let unexpectedCloses = 0;
let closing = false;
const clients: Client[] = [];

function newHistogram(): Histogram {
  // Microseconds, 1 µs to 2 min, 3 significant digits.
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 120_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

function onFrame(frame: Buffer | string, start?: number, end?: number, receivedAt = nowMs()): void {
  const marker = readMarker(frame, start, end);
  if (!marker) return;
  const latencyUs = Math.max(1, Math.round((receivedAt - marker.sentAt) * 1000));
  received++;
  lastMessageAt = Date.now();
  if (marker.step !== step) stray++;
  else if (marker.phase === 'w') warm++;
  else {
    measured++;
    histogram.recordValue(Math.min(latencyUs, 120_000_000));
  }
}

function onUnexpectedClose(): void {
  if (!closing) unexpectedCloses++;
}

/** Opens one client and resolves once the server said it is ready to receive. */
function open(request: ConnectRequest, index: number): Promise<Client> {
  const token = request.tokens[index % request.tokens.length] as string;
  const localAddress = request.localAddresses[index % request.localAddresses.length];
  if (request.kind === 'socketio') return openSocketIo(request.url, token, localAddress);
  const path = request.kind === 'ours' ? '/v1/realtime' : request.kind === 'ceiling' ? '/' : ENGINE_IO_PATH;
  const url = new URL(path, request.url);
  return new Promise<Client>((done, fail) => {
    let ready = false;
    const timer = setTimeout(() => {
      socket.terminate();
      fail(new Error('handshake timed out'));
    }, 60_000);
    const settle = () => {
      ready = true;
      clearTimeout(timer);
      done({ close: () => socket.terminate() });
    };
    const socket: RawWebSocket = new RawWebSocket(url, localAddress, {
      open() {
        if (request.kind === 'ours') socket.send(JSON.stringify({ type: 'auth', token }));
        else if (request.kind === 'ceiling') settle();
      },
      message(data, start, end, receivedAt) {
        if (ready) {
          // Engine.IO ping ("2") is answered with a pong ("3"); everything else may carry a marker.
          if (request.kind === 'socketio-raw' && end - start === 1 && data[start] === 0x32) socket.send('3');
          else onFrame(data, start, end, receivedAt);
          return;
        }
        const text = data.toString('utf8', start, end);
        if (request.kind === 'ours') {
          if (text.startsWith('{"type":"ready"')) settle();
          else fail(new Error(`unexpected first frame ${text.slice(0, 120)}`));
        } else if (text.startsWith('0{')) {
          // Engine.IO open packet; connect to the default namespace with the token as auth data.
          socket.send(`40${JSON.stringify({ token })}`);
        } else if (text.startsWith('40')) settle();
        else if (text.startsWith('44')) fail(new Error(`refused: ${text}`));
      },
      close(code, error) {
        if (!ready) {
          clearTimeout(timer);
          fail(error ?? new Error(`closed ${code} before ready`));
        } else onUnexpectedClose();
      },
    });
  });
}

/** The official client, as an application would use it (websocket transport only). */
function openSocketIo(url: string, token: string, localAddress: string | undefined): Promise<Client> {
  const socket: Socket = io(url, {
    transports: ['websocket'],
    auth: { token },
    reconnection: false,
    forceNew: true,
    timeout: 60_000,
    ...(localAddress ? { localAddress } : {}),
  });
  return new Promise<Client>((done, fail) => {
    let ready = false;
    socket.once('connect', () => {
      ready = true;
      done({ close: () => socket.disconnect() });
    });
    socket.once('connect_error', (error) => fail(error));
    socket.on('disconnect', () => {
      if (ready) onUnexpectedClose();
    });
    socket.on('event', (event: { data?: { message?: { body?: string } } }) => {
      const body = event?.data?.message?.body;
      if (body) onFrame(body);
    });
  });
}

async function connect(request: ConnectRequest) {
  const started = Date.now();
  let next = 0;
  let failed = 0;
  const errors: string[] = [];
  const worker = async () => {
    while (next < request.count) {
      const index = next++;
      try {
        clients.push(await open(request, index));
      } catch (error) {
        failed++;
        if (errors.length < 5) errors.push(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, request.parallel) }, worker));
  return { connected: request.count - failed, failed, errors, ms: Date.now() - started };
}

type Command =
  | ({ cmd: 'connect' } & ConnectRequest)
  | { cmd: 'step'; step: number }
  | { cmd: 'collect' }
  | { cmd: 'stats' }
  | { cmd: 'close' };

process.on('message', async (message: Command & { id: number }) => {
  const reply = (result: unknown) => process.send?.({ probe: 'reply', id: message.id, result });
  try {
    switch (message.cmd) {
      case 'connect':
        reply(await connect(message));
        return;
      case 'step':
        step = message.step;
        histogram = newHistogram();
        measured = 0;
        warm = 0;
        stray = 0;
        reply(true);
        return;
      case 'collect':
        reply({
          histogram: encodeIntoCompressedBase64(histogram),
          measured,
          warm,
          stray,
          unexpectedCloses,
          cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
        });
        return;
      case 'stats':
        reply({ received, lastMessageAt, open: clients.length - unexpectedCloses, unexpectedCloses });
        return;
      case 'close':
        closing = true;
        for (const client of clients.splice(0)) client.close();
        reply(true);
        setTimeout(() => process.exit(0), 100);
        return;
    }
  } catch (error) {
    process.send?.({ probe: 'reply', id: message.id, error: String(error) });
  }
});
