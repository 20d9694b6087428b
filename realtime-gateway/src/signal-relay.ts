import type { Logger } from '@secureconnect/shared/observability/logger';
import type { UserSignal } from '@secureconnect/shared/realtime/event-bus';
import type { Connection } from './transport';

/** A client's `signal` frame: WebRTC signalling (SDP offer/answer, ICE candidates) for one member of a call. */
export interface SignalFrame {
  callId: string;
  to: string;
  payload: unknown;
}

export interface SignalRelayOptions {
  /** Whether `from` may signal `to` in this call: it is going on and both are members of its conversation. */
  authorize(callId: string, from: string, to: string): Promise<boolean>;
  /** Hands the signal to the recipient's sockets, on whichever gateway they are. */
  deliver(to: string, signal: Extract<UserSignal, { kind: 'call-signal' }>): Promise<void>;
  logger: Logger;
}

/** Per socket: a call set-up sends a few dozen ICE candidates; this is far beyond that. */
const WINDOW_LIMIT = 200;
const WINDOW_MS = 10_000;

/**
 * Relays P2P call signalling (SPEC §6 `signal {callId, to, payload}`) only between members of the
 * call's conversation, in the order each socket sent it: a socket's frames are checked and handed
 * on one after another, so a later ICE candidate never overtakes the offer it belongs to. Every
 * frame is checked (one indexed query): an answer kept for later would still relay for a call that
 * has ended or a member who has been removed. A call set-up is a few dozen frames.
 */
export class SignalRelay {
  private readonly queues = new WeakMap<Connection, Promise<void>>();
  private readonly windows = new WeakMap<Connection, { start: number; count: number }>();

  constructor(private readonly options: SignalRelayOptions) {}

  relay(connection: Connection, from: string, frame: SignalFrame): void {
    if (!this.withinLimit(connection)) {
      connection.error('rate-limited', 'too many signal frames');
      return;
    }
    const previous = this.queues.get(connection) ?? Promise.resolve();
    const next = previous.then(() => this.forward(connection, from, frame));
    this.queues.set(connection, next);
  }

  private async forward(
    connection: Connection,
    from: string,
    { callId, to, payload }: SignalFrame,
  ): Promise<void> {
    try {
      if (!(await this.options.authorize(callId, from, to))) {
        connection.error(
          'not-a-member',
          'the call is not going on, or you or the recipient are not its members',
        );
        return;
      }
      await this.options.deliver(to, { kind: 'call-signal', callId, from, payload });
    } catch (error) {
      this.options.logger.warn({ err: error, callId }, 'a call signal was not relayed');
      connection.error('unavailable', 'the signal was not relayed; send it again');
    }
  }

  private withinLimit(connection: Connection, now = Date.now()): boolean {
    let window = this.windows.get(connection);
    if (!window || now - window.start >= WINDOW_MS) {
      window = { start: now, count: 0 };
      this.windows.set(connection, window);
    }
    return ++window.count <= WINDOW_LIMIT;
  }
}
