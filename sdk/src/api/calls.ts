import type { HttpTransport } from '../http';
import type { Call, CallTicket, StartCallInput } from '../types';

/**
 * Calls (`calls-*`). A ticket says how to connect: `mode: 'livekit'` — join `livekitUrl` with
 * `token` through LiveKit's client SDK; `mode: 'p2p'` — a one-to-one WebRTC call with
 * `iceServers`, its offer, answer and ICE candidates exchanged with `RealtimeClient.signal` and
 * its `signal` events. Members are rung by a `call.ringing` event (and push when offline).
 */
export class CallsApi {
  constructor(private readonly http: HttpTransport) {}

  /** Starts a call in the conversation, or joins the one going on there. */
  start(conversationId: string, input: StartCallInput = {}): Promise<CallTicket> {
    return this.http.call('calls-start', { params: { conversationId }, body: input });
  }

  join(callId: string): Promise<CallTicket> {
    return this.http.call('calls-join', { params: { callId } });
  }

  /** Ends the call for everyone (whoever started it, a group admin, or either member of a direct conversation). */
  end(callId: string): Promise<Call> {
    return this.http.call('calls-end', { params: { callId } });
  }
}
