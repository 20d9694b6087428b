import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { nowMs } from './marker';

export interface RawWebSocketHandlers {
  /** The upgrade succeeded. */
  open(): void;
  /**
   * One complete text or binary message: `data[start, end)` (valid only during the call), and
   * when the read that completed it returned (epoch ms; one clock read per read, not per frame).
   */
  message(data: Buffer, start: number, end: number, receivedAt: number): void;
  /** The connection ended (close frame, error or FIN); `error` when it never opened. */
  close(code: number, error?: Error): void;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * What every socket of the process reads into: a process handles one read at a time, and what a
 * read leaves unparsed is copied out, so one buffer serves them all and a read allocates nothing.
 */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/**
 * A minimal RFC 6455 client for load generation: the upgrade request, unmasked server frames
 * parsed in place (no per-frame Buffer, no stream of messages) from reads into one shared buffer
 * (`onread`: no stream machinery, no Buffer per read), masked client frames, pings answered. The benchmark's receivers share the box with the server under test, so every
 * microsecond they spend per frame is taken from the server; `ws` as a client costs several
 * times more per frame than this. No extensions, no fragmentation (our servers send neither).
 */
export class RawWebSocket {
  private readonly socket: Socket;
  private opened = false;
  private closed = false;
  private pending: Buffer | undefined;

  constructor(
    url: URL,
    localAddress: string | undefined,
    private readonly handlers: RawWebSocketHandlers,
  ) {
    this.socket = connect({
      host: url.hostname,
      port: Number(url.port),
      noDelay: true,
      ...(localAddress ? { localAddress } : {}),
      onread: {
        buffer: READ_BUFFER,
        callback: (length: number, buffer: Uint8Array) => {
          this.onData(Buffer.from(buffer.buffer, buffer.byteOffset, length));
          return true; // false would pause the socket
        },
      },
    });
    this.socket.on('connect', () => {
      this.socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n` +
          'Sec-WebSocket-Version: 13\r\n\r\n',
      );
    });
    this.socket.on('error', (error) => this.end(1006, error));
    this.socket.on('close', () => this.end(1006));
  }

  /** Sends a text frame (masked with a zero key, which RFC 6455 allows). */
  send(text: string): void {
    this.write(0x1, Buffer.from(text));
  }

  terminate(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private write(opcode: number, payload: Buffer): void {
    if (this.closed) return;
    const length = payload.length;
    const header =
      length < 126
        ? Buffer.from([0x80 | opcode, 0x80 | length, 0, 0, 0, 0])
        : Buffer.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff, 0, 0, 0, 0]);
    this.socket.write(Buffer.concat([header, payload]));
  }

  private end(code: number, error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.handlers.close(code, this.opened ? undefined : (error ?? new Error(`closed (${code}) before open`)));
  }

  private onData(chunk: Buffer): void {
    const data = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let offset = 0;
    if (!this.opened) {
      const headerEnd = data.indexOf(HEADER_END);
      if (headerEnd < 0) {
        this.pending = Buffer.from(data);
        return;
      }
      const status = data.toString('latin1', 0, 12);
      if (status !== 'HTTP/1.1 101') {
        this.end(
          1002,
          new Error(`upgrade refused: ${data.toString('latin1', 0, headerEnd).split('\r\n')[0]}`),
        );
        return;
      }
      this.opened = true;
      this.handlers.open();
      offset = headerEnd + 4;
    }
    const end = data.length;
    let receivedAt: number | undefined;
    while (offset + 2 <= end && !this.closed) {
      const opcode = (data[offset] as number) & 0x0f;
      let length = (data[offset + 1] as number) & 0x7f;
      let header = 2;
      if (length === 126) {
        if (offset + 4 > end) break;
        length = data.readUInt16BE(offset + 2);
        header = 4;
      } else if (length === 127) {
        if (offset + 10 > end) break;
        length = Number(data.readBigUInt64BE(offset + 2));
        header = 10;
      }
      const start = offset + header;
      const stop = start + length;
      if (stop > end) break;
      if (opcode === 0x1 || opcode === 0x2 || opcode === 0x0) {
        receivedAt ??= nowMs();
        this.handlers.message(data, start, stop, receivedAt);
      } else if (opcode === 0x9) this.write(0xa, Buffer.from(data.subarray(start, stop)));
      else if (opcode === 0x8) {
        const code = length >= 2 ? data.readUInt16BE(start) : 1005;
        this.closed = true;
        this.socket.end();
        this.handlers.close(code);
        return;
      }
      offset = stop;
    }
    if (offset < end) {
      // A partial frame: keep a copy (the read buffer is reused).
      this.pending = Buffer.from(data.subarray(offset));
    }
  }
}
