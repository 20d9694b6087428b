/** What a participant may do in a room. */
export interface RoomGrant {
  canPublish: boolean;
  canSubscribe: boolean;
  canPublishData: boolean;
  /** The tracks they may publish. */
  sources: Array<'microphone' | 'camera' | 'screen_share'>;
}

/** What a verified webhook from the SFU reports, reduced to what call state needs. */
export interface SfuEvent {
  kind: 'participant-joined' | 'participant-left' | 'room-finished' | 'other';
  room: string;
  /** The participant's identity (our user id) for participant events. */
  identity?: string;
  /** The SFU's id of this event: webhooks may be delivered more than once. */
  id: string;
}

/**
 * The media server of group calls (SPEC §9): LiveKit through `livekit-server-sdk`. A room per call;
 * participants join it with an access token whose grants are scoped to that one room.
 */
export interface Sfu {
  /** What clients connect to (LIVEKIT_URL). */
  readonly url: string;
  createRoom(room: string, options: { emptyTimeoutSeconds: number; maxParticipants: number }): Promise<void>;
  /** Idempotent: a room that is already gone is fine. */
  deleteRoom(room: string): Promise<void>;
  /** Participants in the room now; 0 for a room that does not exist. */
  participantCount(room: string): Promise<number>;
  /** A signed access token: identity, display name, the room's grant, expiring in `ttlSeconds`. */
  token(input: {
    room: string;
    identity: string;
    name: string;
    grant: RoomGrant;
    ttlSeconds: number;
  }): Promise<string>;
  /**
   * Verifies a webhook's signature (the `Authorization` header is a JWT over the body's hash,
   * signed with the API secret) and reads it.
   *
   * @throws ProblemError 401 when the signature does not verify.
   */
  receiveWebhook(body: string, authorization: string | undefined): Promise<SfuEvent>;
}
