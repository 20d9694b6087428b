import type { Kysely, Transaction } from 'kysely';
import type { BlobStore } from '../blobs/blob-store';
import type { DB, FileRow } from '../db/schema';
import { ProblemError } from '../errors/problem';
import type { Logger } from '../observability/logger';

type DeletedFile = Pick<FileRow, 'object_key' | 'upload_expires_at'>;

/**
 * Queues the objects of files just removed from SQL, in the transaction that removes them: once
 * it commits, nothing but the queue remembers the object, so nothing is lost if the store is
 * down or the process dies before deleting it. Each is due at once, but no earlier than the end
 * of its upload window: an upload URL handed out for the file could otherwise still put an
 * object back after its deletion.
 */
export async function queueBlobDeletions(trx: Transaction<DB>, files: DeletedFile[]): Promise<void> {
  if (files.length === 0) return;
  const now = new Date();
  await trx
    .insertInto('blob_deletions')
    .values(
      files.map((file) => ({
        object_key: file.object_key,
        due_at: new Date(Math.max(now.getTime(), new Date(file.upload_expires_at).getTime())),
      })),
    )
    .onConflict((oc) => oc.column('object_key').doUpdateSet((eb) => ({ due_at: eb.ref('excluded.due_at') })))
    .execute();
}

/**
 * Every file of a user leaves SQL, its objects queued for deletion (account erasure, in the
 * erasing transaction). Needs no blob store: the deletions run later, from the queue.
 */
export async function forgetUserFiles(trx: Transaction<DB>, userId: string): Promise<void> {
  const files = await trx
    .deleteFrom('files')
    .where('owner_id', '=', userId)
    .returning(['object_key', 'upload_expires_at'])
    .execute();
  await trx.deleteFrom('drive_usage').where('user_id', '=', userId).execute();
  await queueBlobDeletions(trx, files);
}

/** Works the queue of {@link queueBlobDeletions} against the blob store. */
export class BlobDeletions {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly blobs: BlobStore,
    private readonly logger: Logger,
  ) {}

  /**
   * Deletes what these keys left behind right away, as a courtesy: the queue keeps any key not yet
   * due (its upload window is open) for a last pass then, and any the store refused for the sweep.
   */
  async deleteNow(keys: string[]): Promise<void> {
    for (const key of keys) {
      try {
        await this.blobs.delete(key);
        await this.db
          .deleteFrom('blob_deletions')
          .where('object_key', '=', key)
          .where('due_at', '<=', new Date())
          .execute();
      } catch (error) {
        this.logger.warn({ err: error }, 'an object is left for the sweep to delete');
        return;
      }
    }
  }

  /** Deletes up to `limit` due objects; stops early while the store is unavailable. */
  async drain(limit: number): Promise<{ deleted: number; failed: number }> {
    const due = await this.db
      .selectFrom('blob_deletions')
      .select('object_key')
      .where('due_at', '<=', new Date())
      .orderBy('due_at')
      .limit(limit)
      .execute();
    let deleted = 0;
    for (const { object_key } of due) {
      try {
        await this.blobs.delete(object_key);
      } catch (error) {
        await this.db
          .updateTable('blob_deletions')
          .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
          .where('object_key', '=', object_key)
          .execute();
        this.logger.warn({ err: error }, 'deleting a queued object failed; the next sweep retries');
        // An open circuit fails every call alike: leave the rest for the next sweep.
        if (error instanceof ProblemError && error.status === 503)
          return { deleted, failed: due.length - deleted };
        continue;
      }
      await this.db.deleteFrom('blob_deletions').where('object_key', '=', object_key).execute();
      deleted++;
    }
    return { deleted, failed: due.length - deleted };
  }
}
