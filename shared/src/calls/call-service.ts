import type { Kysely } from 'kysely';
import type { Config } from '../config/env';
import {
  isAdmin,
  type Membership,
  requireMembership,
  requireUnblockedMembership,
} from '../conversations/access';
import type { ConversationEvents } from '../conversations/conversation-events';
import type { CallEndReason, CallRow, DB } from '../db/schema';
import { isUniqueViolation } from '../db/transaction';
import { conflict, forbidden, notFound, ProblemError } from '../errors/problem';
import type { MessageStore } from '../messaging/message-store';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { PushQueue } from '../push/push-queue';
import type { PresenceStore } from '../realtime/presence-store';
import type { Call, CallTicket } from './api-schemas';
import type { RoomGrant, Sfu } from './sfu';
import { type IceServer, turnCredentials } from './turn-credentials';

export type CallConfig = Pick<
  Config,
  | 'CALL_TOKEN_TTL_SECONDS'
  | 'CALL_RING_TIMEOUT_SECONDS'
  | 'TURN_URLS'
  | 'TURN_SECRET'
  | 'TURN_TTL_SECONDS'
  | 'GROUP_MAX_MEMBERS'
>;

export interface CallServiceDeps {
  db: Kysely<DB>;
  messages: MessageStore;
  events: ConversationEvents;
  /** LiveKit, or null when none is configured (calls are then one-to-one and peer to peer). */
  sfu: () => Promise<Sfu | null>;
  push: PushQueue;
  /** Who has a live socket: the sweep ends peer-to-peer calls nobody is connected to any more. */
  presence: () => Promise<PresenceStore>;
  metrics: Metrics;
  logger: Logger;
  config: CallConfig;
}

const noSuchCall = () => notFound('No such call.');
const iso = (value: Date | null) => (value === null ? null : new Date(value).toISOString());
const roomOf = (callId: string) => `call-${callId}`;

/**
 * Calls (SPEC §5 calls-*, §9): with LiveKit, a room per call and short-lived tokens scoped to it,
 * call state kept from its signed webhooks; without it, one-to-one calls whose WebRTC signalling
 * the gateway relays (`signal` frames), with time-limited TURN credentials. `call.ringing` and
 * `call.ended` go through the conversation's event log, so recovery covers them; members who are
 * not connected are rung by push. One call at a time per conversation (a unique index).
 */
export class CallService {
  constructor(private readonly deps: CallServiceDeps) {
    deps.metrics.callsActive.sampleFrom(async () => {
      const row = await deps.db
        .selectFrom('calls')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('ended_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    });
  }

  /**
   * Starts a call in the conversation and rings its members; with a call already going on there,
   * joins that one instead (`started: false`).
   */
  async start(
    callerId: string,
    conversationId: string,
    video: boolean,
  ): Promise<{ ticket: CallTicket; started: boolean }> {
    const { db } = this.deps;
    const membership = await requireUnblockedMembership(db, conversationId, callerId);
    const sfu = await this.deps.sfu();
    if (!sfu && membership.conversation.type === 'group') {
      throw conflict(
        'group-calls-need-livekit',
        'Group calls need a media server (LiveKit); this installation has none. One-to-one calls work peer to peer.',
      );
    }
    const active = await this.activeCallIn(conversationId);
    if (active) return { ticket: await this.join(callerId, active.id), started: false };

    let call: CallRow;
    try {
      call = await db
        .insertInto('calls')
        .values({
          conversation_id: conversationId,
          created_by: callerId,
          mode: sfu ? 'livekit' : 'p2p',
          video,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (error) {
      // Someone started one at the same moment: join theirs.
      if (!isUniqueViolation(error, 'calls_one_active_per_conversation')) throw error;
      const winner = await this.activeCallIn(conversationId);
      if (!winner) throw error;
      return { ticket: await this.join(callerId, winner.id), started: false };
    }
    if (sfu) {
      try {
        await sfu.createRoom(roomOf(call.id), {
          // A room nobody joins closes by itself after the ring timeout (LiveKit then says room_finished).
          emptyTimeoutSeconds: this.deps.config.CALL_RING_TIMEOUT_SECONDS,
          maxParticipants: this.deps.config.GROUP_MAX_MEMBERS,
        });
        await db
          .updateTable('calls')
          .set({ room: roomOf(call.id) })
          .where('id', '=', call.id)
          .execute();
      } catch (error) {
        await db.deleteFrom('calls').where('id', '=', call.id).execute();
        throw error;
      }
    }
    await this.addParticipant(call.id, callerId);
    const view = await this.view(call.id);
    const event = await this.deps.messages.appendEvent({
      conversationId,
      type: 'call.ringing',
      actorId: callerId,
      data: { call: view },
    });
    await this.deps.events.published(event);
    await this.deps.push.enqueue({ kind: 'call', conversationId, callId: call.id });
    return { ticket: await this.ticket(callerId, view, membership), started: true };
  }

  /** A member joins a call that is going on: LiveKit's URL and a token, or ICE servers. */
  async join(callerId: string, callId: string): Promise<CallTicket> {
    const { call, membership } = await this.requireVisible(callerId, callId, { joining: true });
    if (call.ended_at) throw conflict('call-ended', 'The call has ended.');
    await this.addParticipant(callId, callerId);
    return this.ticket(callerId, await this.view(callId), membership);
  }

  /** The caller, or an owner or admin of the group (either member of a direct conversation). */
  async end(callerId: string, callId: string): Promise<Call> {
    const { call, membership } = await this.requireVisible(callerId, callId);
    const mayEnd =
      call.created_by === callerId || membership.conversation.type === 'direct' || isAdmin(membership.member);
    if (!mayEnd) throw forbidden('Only whoever started the call or a group admin may end it for everyone.');
    await this.finish(call, 'hung-up', callerId);
    return this.view(callId);
  }

  /**
   * A signed webhook from LiveKit: who joined and left, and rooms that closed. A call nobody is in
   * any more ends (`empty`). Deliveries may repeat; every step is idempotent.
   */
  async webhook(body: string, authorization: string | undefined): Promise<void> {
    const sfu = await this.deps.sfu();
    if (!sfu) throw notFound('No media server is configured here.');
    const event = await sfu.receiveWebhook(body, authorization);
    const call = await this.deps.db
      .selectFrom('calls')
      .selectAll()
      .where('room', '=', event.room)
      .executeTakeFirst();
    if (!call || call.ended_at) return;
    switch (event.kind) {
      case 'participant-joined':
        if (event.identity) await this.addParticipant(call.id, event.identity);
        return;
      case 'participant-left':
        if (!event.identity) return;
        await this.deps.db
          .updateTable('call_participants')
          .set({ left_at: new Date() })
          .where('call_id', '=', call.id)
          .where('user_id', '=', event.identity)
          .where('left_at', 'is', null)
          .execute();
        if ((await this.present(call.id)) === 0) await this.finish(call, 'empty', null);
        return;
      case 'room-finished':
        await this.finish(call, 'room-finished', null);
        return;
      case 'other':
        return;
    }
  }

  /**
   * The scheduled sweep: ends calls nobody answered within CALL_RING_TIMEOUT_SECONDS (`missed`)
   * and calls nobody is in any more (`empty`): a LiveKit room without participants, or a
   * peer-to-peer call none of whose participants has a live socket. Catches what a lost webhook
   * or a vanished client left behind.
   */
  async sweep(): Promise<{ ended: number }> {
    const { db, config } = this.deps;
    const settled = new Date(Date.now() - config.CALL_RING_TIMEOUT_SECONDS * 1000);
    const stale = await db
      .selectFrom('calls')
      .selectAll()
      .where('ended_at', 'is', null)
      .where('started_at', '<', settled)
      .orderBy('started_at')
      .limit(200)
      .execute();
    let ended = 0;
    for (const call of stale) {
      const reason = await this.staleReason(call);
      if (reason && (await this.finish(call, reason, null))) ended++;
    }
    return { ended };
  }

  /**
   * Whether `from` may send WebRTC signalling to `to` for this call: it is going on, and both are
   * members of its conversation. Answers the conversation, or null.
   */
  async signalRoute(callId: string, from: string, to: string): Promise<string | null> {
    const row = await this.deps.db
      .selectFrom('calls')
      .innerJoin('conversation_members as sender', 'sender.conversation_id', 'calls.conversation_id')
      .innerJoin('conversation_members as recipient', 'recipient.conversation_id', 'calls.conversation_id')
      .select('calls.conversation_id')
      .where('calls.id', '=', callId)
      .where('calls.ended_at', 'is', null)
      .where('sender.user_id', '=', from)
      .where('recipient.user_id', '=', to)
      .executeTakeFirst();
    return row?.conversation_id ?? null;
  }

  private async staleReason(call: CallRow): Promise<CallEndReason | null> {
    const participants = await this.deps.db
      .selectFrom('call_participants')
      .select(['user_id', 'left_at'])
      .where('call_id', '=', call.id)
      .execute();
    if (!participants.some((p) => p.user_id !== call.created_by)) return 'missed';
    const sfu = call.mode === 'livekit' ? await this.deps.sfu() : null;
    if (sfu && call.room) return (await sfu.participantCount(call.room)) === 0 ? 'empty' : null;
    const presence = await this.deps.presence();
    const present = participants.filter((p) => !p.left_at).map((p) => p.user_id);
    const statuses = await presence.get(present);
    return Object.values(statuses).every((status) => status === 'offline') ? 'empty' : null;
  }

  /** Ends the call once (false if it had ended already): the room goes, `call.ended` is logged. */
  private async finish(call: CallRow, reason: CallEndReason, endedBy: string | null): Promise<boolean> {
    const ended = await this.deps.db
      .updateTable('calls')
      .set({ ended_at: new Date(), end_reason: reason, ended_by: endedBy })
      .where('id', '=', call.id)
      .where('ended_at', 'is', null)
      .returningAll()
      .executeTakeFirst();
    if (!ended) return false;
    await this.deps.db
      .updateTable('call_participants')
      .set({ left_at: new Date() })
      .where('call_id', '=', call.id)
      .where('left_at', 'is', null)
      .execute();
    if (ended.room && reason !== 'room-finished') {
      const sfu = await this.deps.sfu();
      // Best effort: an empty room also closes by itself after its empty timeout.
      await sfu
        ?.deleteRoom(ended.room)
        .catch((error) =>
          this.deps.logger.warn({ err: error, callId: call.id }, 'the call room was not deleted'),
        );
    }
    const event = await this.deps.messages.appendEvent({
      conversationId: call.conversation_id,
      type: 'call.ended',
      actorId: endedBy,
      data: { callId: call.id, endedBy, reason, endedAt: iso(ended.ended_at) },
    });
    await this.deps.events.published(event);
    return true;
  }

  private async ticket(callerId: string, call: Call, membership: Membership): Promise<CallTicket> {
    const { config } = this.deps;
    const sfu = call.mode === 'livekit' ? await this.deps.sfu() : null;
    if (call.mode === 'livekit' && !sfu) {
      throw new ProblemError(
        503,
        'calls-unavailable',
        'The media server of this call is not configured any more.',
        {
          retryAfterSeconds: 30,
        },
      );
    }
    const iceServers: IceServer[] =
      config.TURN_URLS.length > 0 && config.TURN_SECRET
        ? [
            turnCredentials(callerId, {
              urls: config.TURN_URLS,
              secret: config.TURN_SECRET,
              ttlSeconds: config.TURN_TTL_SECONDS,
            }),
          ]
        : [];
    if (!sfu) return { callId: call.id, mode: 'p2p', livekitUrl: null, token: null, iceServers, call };
    const name = await this.deps.db
      .selectFrom('users')
      .select('display_name')
      .where('id', '=', callerId)
      .executeTakeFirst();
    const token = await sfu.token({
      room: roomOf(call.id),
      identity: callerId,
      name: name?.display_name ?? '',
      grant: this.grantFor(call, membership),
      ttlSeconds: config.CALL_TOKEN_TTL_SECONDS,
    });
    return { callId: call.id, mode: 'livekit', livekitUrl: sfu.url, token, iceServers: [], call };
  }

  /**
   * Every member hears and speaks; the camera only in video calls; sharing a screen in a group is
   * for its owners and admins (in a direct conversation, for both).
   */
  private grantFor(call: Call, { conversation, member }: Membership): RoomGrant {
    const sources: RoomGrant['sources'] = ['microphone'];
    if (call.video) sources.push('camera');
    if (conversation.type === 'direct' || isAdmin(member)) sources.push('screen_share');
    return { canPublish: true, canSubscribe: true, canPublishData: true, sources };
  }

  private async addParticipant(callId: string, userId: string): Promise<void> {
    await this.deps.db
      .insertInto('call_participants')
      .values({ call_id: callId, user_id: userId })
      .onConflict((oc) =>
        oc.columns(['call_id', 'user_id']).doUpdateSet({ joined_at: new Date(), left_at: null }),
      )
      .execute();
  }

  private async present(callId: string): Promise<number> {
    const row = await this.deps.db
      .selectFrom('call_participants')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('call_id', '=', callId)
      .where('left_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  private activeCallIn(conversationId: string): Promise<CallRow | undefined> {
    return this.deps.db
      .selectFrom('calls')
      .selectAll()
      .where('conversation_id', '=', conversationId)
      .where('ended_at', 'is', null)
      .executeTakeFirst();
  }

  /** The call, if the caller is a member of its conversation; otherwise the same 404 as a missing call. */
  private async requireVisible(
    callerId: string,
    callId: string,
    { joining = false }: { joining?: boolean } = {},
  ): Promise<{ call: CallRow; membership: Membership }> {
    const call = await this.deps.db
      .selectFrom('calls')
      .selectAll()
      .where('id', '=', callId)
      .executeTakeFirst();
    if (!call) throw noSuchCall();
    const check = joining ? requireUnblockedMembership : requireMembership;
    try {
      return { call, membership: await check(this.deps.db, call.conversation_id, callerId) };
    } catch (error) {
      if (error instanceof ProblemError && error.status === 404) throw noSuchCall();
      throw error;
    }
  }

  private async view(callId: string): Promise<Call> {
    const { db } = this.deps;
    const [call, participants] = await Promise.all([
      db.selectFrom('calls').selectAll().where('id', '=', callId).executeTakeFirstOrThrow(),
      db
        .selectFrom('call_participants')
        .selectAll()
        .where('call_id', '=', callId)
        .orderBy('joined_at')
        .orderBy('user_id')
        .execute(),
    ]);
    return {
      id: call.id,
      conversationId: call.conversation_id,
      mode: call.mode,
      video: call.video,
      createdBy: call.created_by,
      startedAt: iso(call.started_at) as string,
      endedAt: iso(call.ended_at),
      endReason: call.end_reason,
      participants: participants.map((p) => ({
        userId: p.user_id,
        joinedAt: iso(p.joined_at) as string,
        leftAt: iso(p.left_at),
      })),
    };
  }
}
