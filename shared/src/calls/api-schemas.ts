import * as v from 'valibot';
import { UuidSchema } from '../accounts/api-schemas';

export const StartCallSchema = v.object({
  video: v.optional(v.boolean('must be a boolean'), false),
});

export const CallParamsSchema = v.object({ callId: UuidSchema });

export const CallParticipantSchema = v.object({
  userId: v.string(),
  joinedAt: v.string(),
  leftAt: v.nullable(v.string()),
});

export const CallSchema = v.object({
  id: v.string(),
  conversationId: v.string(),
  /** `livekit`: media through the SFU; `p2p`: one-to-one, signalled through the realtime gateway. */
  mode: v.picklist(['livekit', 'p2p']),
  video: v.boolean(),
  createdBy: v.string(),
  startedAt: v.string(),
  endedAt: v.nullable(v.string()),
  /** `hung-up`, `empty` (nobody left), `missed` (nobody answered), `room-finished` (the SFU closed it). */
  endReason: v.nullable(v.picklist(['hung-up', 'empty', 'missed', 'room-finished'])),
  participants: v.array(CallParticipantSchema),
});
export type Call = v.InferOutput<typeof CallSchema>;

export const IceServerSchema = v.object({
  urls: v.array(v.string()),
  username: v.optional(v.string()),
  credential: v.optional(v.string()),
});

/** How the caller connects to the call: LiveKit's URL and a token, or ICE servers for WebRTC. */
export const CallTicketSchema = v.object({
  callId: v.string(),
  mode: v.picklist(['livekit', 'p2p']),
  /** LiveKit's URL (mode `livekit`), else null. */
  livekitUrl: v.nullable(v.string()),
  /** A short-lived LiveKit access token for this one room (mode `livekit`), else null. */
  token: v.nullable(v.string()),
  /** For `p2p`: TURN servers with time-limited credentials (empty when none is configured). */
  iceServers: v.array(IceServerSchema),
  call: CallSchema,
});
export type CallTicket = v.InferOutput<typeof CallTicketSchema>;
