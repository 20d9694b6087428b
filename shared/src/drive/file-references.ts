import type { Kysely } from 'kysely';
import type { DB } from '../db/schema';
import { ProblemError } from '../errors/problem';

/**
 * Where other areas point at files: message attachments (which share a file with the
 * conversation's members while the message stands) and avatars. SQL only, so the message and
 * profile functions use it without loading the blob store.
 */
export class FileReferences {
  constructor(private readonly db: Kysely<DB>) {}

  /** Attachments must be completed files of the sender's own. */
  async requireAttachable(ownerId: string, fileIds: string[], field: string): Promise<void> {
    const unique = [...new Set(fileIds)];
    if (unique.length === 0) return;
    const rows = await this.db
      .selectFrom('files')
      .select('id')
      .where('id', 'in', unique)
      .where('owner_id', '=', ownerId)
      .where('status', '=', 'ready')
      .execute();
    if (rows.length !== unique.length) {
      const found = new Set(rows.map((row) => row.id));
      throw new ProblemError(422, 'file-not-found', 'No completed file of yours has that id.', {
        errors: [
          {
            field,
            message: `are not completed files of yours: ${unique.filter((id) => !found.has(id)).join(', ')}`,
          },
        ],
      });
    }
  }

  /**
   * Members of the conversation may download the message's attachments while it stands.
   * Idempotent; a file deleted meanwhile is skipped (it no longer exists to be shared).
   */
  async share(conversationId: string, messageId: string, fileIds: string[]): Promise<void> {
    if (fileIds.length === 0) return;
    await this.db
      .insertInto('file_shares')
      .columns(['file_id', 'conversation_id', 'message_id'])
      .expression((eb) =>
        eb
          .selectFrom('files')
          .select([
            'files.id',
            eb.val(conversationId).as('conversation_id'),
            eb.val(messageId).as('message_id'),
          ])
          .where('files.id', 'in', [...new Set(fileIds)]),
      )
      .onConflict((oc) => oc.columns(['file_id', 'conversation_id', 'message_id']).doNothing())
      .execute();
  }

  /** The message was deleted: its attachments are no longer shared through it. */
  async unshare(conversationId: string, messageId: string): Promise<void> {
    await this.db
      .deleteFrom('file_shares')
      .where('conversation_id', '=', conversationId)
      .where('message_id', '=', messageId)
      .execute();
  }

  /** An avatar is a completed image of the user's own. */
  async requireAvatar(ownerId: string, fileId: string, field: string): Promise<void> {
    const file = await this.db
      .selectFrom('files')
      .select('content_type')
      .where('id', '=', fileId)
      .where('owner_id', '=', ownerId)
      .where('status', '=', 'ready')
      .executeTakeFirst();
    if (!file?.content_type.startsWith('image/')) {
      throw new ProblemError(422, 'file-not-found', 'No completed image of yours has that id.', {
        errors: [{ field, message: 'is not a completed image file of yours' }],
      });
    }
  }
}
