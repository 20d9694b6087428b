import {
  AccessToken,
  RoomServiceClient,
  ServerError,
  TrackSource,
  type WebhookEvent,
  WebhookReceiver,
} from 'livekit-server-sdk';
import { ProblemError } from '../errors/problem';
import type { Logger } from '../observability/logger';
import type { RoomGrant, Sfu, SfuEvent } from './sfu';

/** Deadline of each call to LiveKit's API. */
export const LIVEKIT_TIMEOUT_SECONDS = 3;

/** Options for {@link LivekitSfu}; usually the LIVEKIT_* variables. */
export interface LivekitSfuOptions {
  /** LIVEKIT_URL: what clients connect to. */
  url: string;
  /** Where this process calls LiveKit's API: LIVEKIT_API_URL, or LIVEKIT_URL as http(s). */
  apiUrl: string;
  apiKey: string;
  apiSecret: string;
  /**
   * Whole seconds, the SDK's unit: it builds `AbortSignal.timeout(seconds * 1000)`, which throws
   * on a fractional product (1.001 * 1000), so a millisecond option would break some values.
   */
  timeoutSeconds?: number;
  logger: Logger;
}

/**
 * A screen share's sound (a browser tab's audio) is a track of its own in LiveKit; it belongs to
 * whoever may share the screen.
 */
const TRACK_SOURCES: Record<RoomGrant['sources'][number], TrackSource[]> = {
  microphone: [TrackSource.MICROPHONE],
  camera: [TrackSource.CAMERA],
  screen_share: [TrackSource.SCREEN_SHARE, TrackSource.SCREEN_SHARE_AUDIO],
};

const EVENT_KINDS: Partial<Record<string, SfuEvent['kind']>> = {
  participant_joined: 'participant-joined',
  participant_left: 'participant-left',
  // LiveKit sends this instead of participant_left for someone whose connection never completed.
  participant_connection_aborted: 'participant-left',
  room_finished: 'room-finished',
};

/** LiveKit echoes a refused bearer token in its 401 text; no token may reach a log. */
const JWT = /eyJ[\w-]*\.[\w-]*\.[\w-]*/g;

function isNotFound(error: unknown): boolean {
  return error instanceof ServerError && (error.status === 404 || error.code === 'not_found');
}

function describe(error: unknown, timeoutSeconds: number): string {
  if (error instanceof ServerError)
    return `answered ${error.status}${error.code ? ` ${error.code}` : ''}: ${error.message}`;
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${timeoutSeconds} s`;
  if (error instanceof Error) {
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    return `${error.name}: ${error.message}${typeof code === 'string' ? ` (${code})` : ''}`;
  }
  return String(error);
}

/**
 * {@link Sfu} on LiveKit (SPEC §9) through `livekit-server-sdk`: RoomServiceClient for rooms,
 * AccessToken for join tokens, WebhookReceiver for webhooks.
 *
 * Every API call has the SDK's per-request deadline; region failover (LiveKit Cloud only) is off
 * so one attempt is all a call can cost. Any failure — refused connection, timeout, 5xx, or a
 * refusal such as a wrong key — is a 503 `calls-unavailable` whose `cause` says what happened
 * (tokens redacted), for the caller's log; a room that is already gone is not a failure.
 */
export class LivekitSfu implements Sfu {
  readonly url: string;
  private readonly rooms: RoomServiceClient;
  private readonly receiver: WebhookReceiver;
  private readonly apiKey: string;
  private readonly apiSecret: string;
  private readonly timeoutSeconds: number;
  private readonly logger: Logger;

  constructor({
    url,
    apiUrl,
    apiKey,
    apiSecret,
    timeoutSeconds = LIVEKIT_TIMEOUT_SECONDS,
    logger,
  }: LivekitSfuOptions) {
    if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1)
      throw new RangeError(`timeoutSeconds must be a whole number of seconds (got ${timeoutSeconds})`);
    this.url = url;
    this.apiKey = apiKey;
    this.apiSecret = apiSecret;
    this.timeoutSeconds = timeoutSeconds;
    this.logger = logger;
    this.rooms = new RoomServiceClient(apiUrl, apiKey, apiSecret, {
      requestTimeout: timeoutSeconds,
      failover: false,
    });
    this.receiver = new WebhookReceiver(apiKey, apiSecret);
  }

  async createRoom(
    room: string,
    { emptyTimeoutSeconds, maxParticipants }: { emptyTimeoutSeconds: number; maxParticipants: number },
  ): Promise<void> {
    await this.call('CreateRoom', () =>
      this.rooms.createRoom({ name: room, emptyTimeout: emptyTimeoutSeconds, maxParticipants }),
    );
  }

  async deleteRoom(room: string): Promise<void> {
    await this.call('DeleteRoom', async () => {
      try {
        await this.rooms.deleteRoom(room);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    });
  }

  async participantCount(room: string): Promise<number> {
    return this.call('ListParticipants', async () => {
      try {
        return (await this.rooms.listParticipants(room)).length;
      } catch (error) {
        // LiveKit answers an empty list for a room it does not have; not_found is taken as the same.
        if (isNotFound(error)) return 0;
        throw error;
      }
    });
  }

  async token({
    room,
    identity,
    name,
    grant,
    ttlSeconds,
  }: {
    room: string;
    identity: string;
    name: string;
    grant: RoomGrant;
    ttlSeconds: number;
  }): Promise<string> {
    // The SDK replaces a ttl of 0 with its default of six hours.
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1)
      throw new RangeError(`ttlSeconds must be a whole number of seconds (got ${ttlSeconds})`);
    const token = new AccessToken(this.apiKey, this.apiSecret, { identity, name, ttl: ttlSeconds });
    const sources = [...new Set(grant.sources.flatMap((source) => TRACK_SOURCES[source]))];
    token.addGrant({
      roomJoin: true,
      room,
      // LiveKit reads an empty source list as "every source", so nothing to publish must mean
      // canPublish false.
      canPublish: grant.canPublish && sources.length > 0,
      canSubscribe: grant.canSubscribe,
      canPublishData: grant.canPublishData,
      canPublishSources: sources,
    });
    return token.toJwt();
  }

  async receiveWebhook(body: string, authorization: string | undefined): Promise<SfuEvent> {
    let event: WebhookEvent;
    try {
      event = await this.receiver.receive(body, authorization);
    } catch (error) {
      // The request log shows only the 401; a wrong key or secret shows here, every time.
      this.logger.warn(
        { reason: error instanceof Error ? error.message : String(error) },
        'refused a LiveKit webhook',
      );
      throw new ProblemError(401, 'invalid-webhook-signature', 'The webhook signature does not verify.');
    }
    const kind = EVENT_KINDS[event.event] ?? 'other';
    const identity = event.participant?.identity;
    return { kind, room: event.room?.name ?? '', id: event.id, ...(identity ? { identity } : {}) };
  }

  private async call<T>(operation: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      // LiveKit answered and refused (a wrong key, a bad request): the operator has to act, so
      // clients are told to come back later than after an outage.
      const refused = error instanceof ServerError && error.status < 500;
      const problem = new ProblemError(
        503,
        'calls-unavailable',
        'Calls are unavailable right now: the media server did not answer; retry shortly.',
        { retryAfterSeconds: refused ? 30 : 5 },
      );
      problem.cause = new Error(
        `LiveKit ${operation} ${describe(error, this.timeoutSeconds)}`.replace(JWT, '[redacted]'),
      );
      throw problem;
    }
  }
}
