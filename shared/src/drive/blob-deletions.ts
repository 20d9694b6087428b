import { type Kysely, sql, type Transaction } from 'kysely';
import type { BlobStore } from '../blobs/blob-store';
import type { DB, FileRow } from '../db/schema';
import { ProblemError } from '../errors/problem';
import type { Logger } from '../observability/logger';

type DeletedFile = Pick<FileRow, 'object_key' | 'upload_expires_at'>;

/**
 * Queues the objects of files just removed from SQL, in the transaction that removes them: once
 * it commits, nothing but the queue remembers the object, so nothing is lost if the store is
 * down or the process dies before deleting it. Each is due at once. While its file's upload
 * window is still open an upload URL handed out for it could put an object back, so the
 * deletion is repeated once when the window closes.
 */
export async function queueBlobDeletions(trx: Transaction<DB>, files: DeletedFile[]): Promise<void> {
  if (files.length === 0) return;
  const now = new Date();
  const rows = files.map((file) => {
    const windowEnds = new Date(file.upload_expires_at);
    return { object_key: file.object_key, due_at: now, recheck_at: windowEnds > now ? windowEnds : null };
  });
  await trx
    .insertInto('blob_deletions')
    .values(rows)
    .onConflict((oc) =>
      oc.column('object_key').doUpdateSet((eb) => ({
        due_at: eb.ref('excluded.due_at'),
        recheck_at: eb.ref('excluded.recheck_at'),
      })),
    )
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

  /** Deletes these objects now (just queued): what fails stays due for the sweep. */
  deleteNow(keys: string[]): Promise<{ deleted: number; failed: number }> {
    return this.attempt(keys);
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
    return this.attempt(due.map((row) => row.object_key));
  }

  private async attempt(keys: string[]): Promise<{ deleted: number; failed: number }> {
    let deleted = 0;
    for (const key of keys) {
      try {
        await this.blobs.delete(key);
      } catch (error) {
        await this.db
          .updateTable('blob_deletions')
          .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
          .where('object_key', '=', key)
          .execute();
        this.logger.warn({ err: error }, 'deleting a stored object failed; the sweep retries it');
        // An open circuit fails every call alike: leave the rest for the next sweep.
        if (error instanceof ProblemError && error.status === 503) break;
        continue;
      }
      await this.settle(key);
      deleted++;
    }
    return { deleted, failed: keys.length - deleted };
  }

  /** Done, unless the upload window is still open: then once more when it closes. */
  private async settle(key: string): Promise<void> {
    const now = new Date();
    const recheck = await this.db
      .updateTable('blob_deletions')
      // The WHERE below makes recheck_at non-null here.
      .set({ due_at: sql<Date>`recheck_at`, recheck_at: null, attempts: 0 })
      .where('object_key', '=', key)
      .where('recheck_at', '>', now)
      .returning('object_key')
      .executeTakeFirst();
    if (!recheck) await this.db.deleteFrom('blob_deletions').where('object_key', '=', key).execute();
  }
}
