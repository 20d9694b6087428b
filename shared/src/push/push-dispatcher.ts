import type { Kysely } from 'kysely';
import type { DB, PushPlatform } from '../db/schema';
import type { MessageStore } from '../messaging/message-store';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { PresenceStore } from '../realtime/presence-store';
import type { PushMessage, PushProvider } from './push-provider';
import type { PushJob } from './push-queue';
import { inQuietHours } from './quiet-hours';

export interface PushDispatcherDeps {
  db: Kysely<DB>;
  messages: MessageStore;
  presence: PresenceStore;
  providers: Record<PushPlatform, PushProvider>;
  metrics: Metrics;
  logger: Logger;
}

/** What one dispatch did, for the caller's log and the tests. */
export interface DispatchReport {
  /** Members with a registered device, the author aside. */
  members: number;
  /** Members notified on at least one device. */
  notified: number;
  sent: number;
  failed: number;
  /** Device tokens found dead and deleted. */
  removed: number;
}

/** Devices notified at once, so one slow provider does not hold a large group's dispatch. */
const CONCURRENCY = 16;
const PREVIEW_LENGTH = 140;

/** The notification of a job, before it is tailored to each member's previews setting. */
interface Announcement {
  authorId: string;
  title: string;
  /** What it says: null in E2EE conversations, whose bodies the server cannot read. */
  body: string | null;
  data: Record<string, string>;
  urgent: boolean;
  collapseKey: string;
}

/**
 * push-dispatch (SPEC §5): tells the members of a conversation who have no live socket about a
 * new message or a ringing call, on every device they registered. Skips the author, members who
 * muted the conversation, who turned push off, or whose quiet hours it is; never puts a body in
 * the notification of an E2EE conversation, nor where the member turned previews off. Tokens the
 * provider reports dead are deleted.
 */
export class PushDispatcher {
  constructor(private readonly deps: PushDispatcherDeps) {}

  async dispatch(job: PushJob): Promise<DispatchReport> {
    const report: DispatchReport = { members: 0, notified: 0, sent: 0, failed: 0, removed: 0 };
    // Members with a device first: most conversations have none, and then nothing else is read.
    const candidates = await this.deps.db
      .selectFrom('conversation_members')
      .innerJoin('push_devices', 'push_devices.user_id', 'conversation_members.user_id')
      .innerJoin('users', 'users.id', 'conversation_members.user_id')
      .leftJoin(
        'notification_preferences',
        'notification_preferences.user_id',
        'conversation_members.user_id',
      )
      .select([
        'conversation_members.user_id',
        'conversation_members.muted_until',
        'notification_preferences.push_enabled',
        'notification_preferences.previews',
        'notification_preferences.quiet_start',
        'notification_preferences.quiet_end',
        'notification_preferences.time_zone',
        'push_devices.id as device_id',
        'push_devices.platform',
        'push_devices.token',
      ])
      .where('conversation_members.conversation_id', '=', job.conversationId)
      .where('users.status', '=', 'active')
      .execute();
    if (candidates.length === 0) return report;
    const announcement = await this.announcement(job);
    if (!announcement) return report;
    const now = new Date();
    const others = candidates.filter((row) => row.user_id !== announcement.authorId);
    report.members = new Set(others.map((row) => row.user_id)).size;
    const wanting = others.filter(
      (row) =>
        row.push_enabled !== false &&
        !(row.muted_until && new Date(row.muted_until) > now) &&
        !(
          row.quiet_start &&
          row.quiet_end &&
          row.time_zone &&
          inQuietHours({ start: row.quiet_start, end: row.quiet_end, timeZone: row.time_zone }, now)
        ),
    );
    if (wanting.length === 0) return report;
    // A live socket means the gateway delivers it; push is for members who are not connected.
    const statuses = await this.deps.presence.get([...new Set(wanting.map((row) => row.user_id))]);
    const devices = wanting.filter((row) => statuses[row.user_id] === 'offline');

    const notified = new Set<string>();
    let next = 0;
    const worker = async () => {
      while (next < devices.length) {
        const device = devices[next++];
        if (!device) return;
        const body = device.previews !== false ? announcement.body : null;
        const message: PushMessage = {
          token: device.token,
          title: announcement.title,
          ...(body ? { body } : {}),
          data: announcement.data,
          urgent: announcement.urgent,
          collapseKey: announcement.collapseKey,
        };
        const provider = this.deps.providers[device.platform];
        const result = await provider.send(message).catch((error: unknown) => {
          this.deps.logger.warn({ err: error, provider: provider.name }, 'push provider failed');
          return 'failed' as const;
        });
        this.deps.metrics.pushNotificationsTotal.inc({ provider: provider.name, result });
        if (result === 'sent') {
          report.sent++;
          notified.add(device.user_id);
        } else if (result === 'invalid-token') {
          await this.deps.db.deleteFrom('push_devices').where('id', '=', device.device_id).execute();
          report.removed++;
        } else report.failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, devices.length) }, worker));
    report.notified = notified.size;
    return report;
  }

  /** What to say, or null when there is nothing to announce any more (deleted, already ended). */
  private async announcement(job: PushJob): Promise<Announcement | null> {
    const { db } = this.deps;
    const conversation = await db
      .selectFrom('conversations')
      .select(['type', 'title', 'e2ee'])
      .where('id', '=', job.conversationId)
      .executeTakeFirst();
    if (!conversation) return null;
    const where = conversation.type === 'group' && conversation.title ? ` in ${conversation.title}` : '';
    if (job.kind === 'message') {
      const message = await this.deps.messages.getMessage(job.conversationId, job.messageId);
      if (!message || message.deletedAt) return null;
      const author = await this.displayName(message.senderId);
      return {
        authorId: message.senderId,
        title: `${author}${where}`,
        body: conversation.e2ee ? null : message.body.slice(0, PREVIEW_LENGTH),
        data: {
          kind: 'message',
          conversationId: job.conversationId,
          messageId: message.id,
          seq: String(message.seq),
        },
        urgent: false,
        collapseKey: job.conversationId,
      };
    }
    const call = await db
      .selectFrom('calls')
      .select(['created_by', 'video', 'ended_at'])
      .where('id', '=', job.callId)
      .executeTakeFirst();
    if (!call || call.ended_at) return null;
    const caller = await this.displayName(call.created_by);
    return {
      authorId: call.created_by,
      title: `${caller} is calling${where}`,
      body: call.video ? 'Video call' : 'Voice call',
      data: {
        kind: 'call',
        conversationId: job.conversationId,
        callId: job.callId,
        video: String(call.video),
      },
      urgent: true,
      collapseKey: job.callId,
    };
  }

  private async displayName(userId: string): Promise<string> {
    const user = await this.deps.db
      .selectFrom('users')
      .select('display_name')
      .where('id', '=', userId)
      .executeTakeFirst();
    return user?.display_name ?? 'Someone';
  }
}
