import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { type BlobStore, objectKey, type SignedRequest, userPrefix } from '../blobs/blob-store';
import type { Config } from '../config/env';
import { afterCursor, decodeTimeCursor, encodeCursor, exactTime } from '../db/cursor';
import type { DB, FileRow } from '../db/schema';
import { withReadCommitted } from '../db/transaction';
import { conflict, forbidden, notFound, ProblemError } from '../errors/problem';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RateLimiter } from '../ratelimit/rate-limiter';
import type { DriveFile, PresignUpload } from './api-schemas';
import { BlobDeletions, queueBlobDeletions } from './blob-deletions';

export type DriveConfig = Pick<
  Config,
  | 'DRIVE_QUOTA_BYTES'
  | 'DRIVE_MAX_FILE_BYTES'
  | 'DRIVE_ALLOWED_TYPES'
  | 'DRIVE_UPLOAD_URL_TTL_SECONDS'
  | 'DRIVE_DOWNLOAD_URL_TTL_SECONDS'
  | 'DRIVE_UPLOAD_COMPLETE_WITHIN_SECONDS'
>;

export interface DriveServiceDeps {
  db: Kysely<DB>;
  blobs: BlobStore;
  limiter: RateLimiter;
  metrics: Metrics;
  logger: Logger;
  config: DriveConfig;
}

/** How much one sweep does at most, so a backlog drains over several runs instead of one long one. */
const SWEEP_BATCH = 200;

const noSuchFile = () => notFound('No such file.');

const iso = (value: Date | null) => (value === null ? null : new Date(value).toISOString());

export function toDriveFile(row: FileRow): DriveFile {
  return {
    id: row.id,
    name: row.name,
    contentType: row.content_type,
    size: Number(row.size),
    status: row.status,
    createdAt: iso(row.created_at) as string,
    completedAt: iso(row.completed_at),
  };
}

/** `image/png; charset=x` → `image/png`, for matching against DRIVE_ALLOWED_TYPES. */
const essence = (contentType: string) => contentType.split(';')[0]?.trim() ?? '';

/** A signed request with an absolute URL; the embedded store's URLs are relative to the server. */
const resolvedAgainst = (signed: SignedRequest, origin: string) => ({
  ...signed,
  url: new URL(signed.url, origin).toString(),
});

/**
 * The drive (SPEC §5 files-*): quota-checked presigned uploads straight to object storage,
 * verified on completion; downloads by short-lived presigned URLs for the owner and for members
 * of conversations the file was attached in; deletion; and the sweep that expires unfinished
 * uploads.
 *
 * Quota is race-free without holding locks across round trips: one UPDATE reserves
 * `used + reserved + size ≤ quota` on the user's usage row, and the file row is inserted in the
 * same transaction. Completion moves the bytes from reserved to used; expiry and deletion give
 * them back. Objects are deleted through a queue written with the SQL change
 * ({@link queueBlobDeletions}), so a store that is down delays a deletion but never loses one.
 */
export class DriveService {
  private readonly deletions: BlobDeletions;

  constructor(private readonly deps: DriveServiceDeps) {
    this.deletions = new BlobDeletions(deps.db, deps.blobs, deps.logger);
  }

  /**
   * Reserves `size` bytes of the caller's quota and hands out a URL that uploads exactly that
   * many bytes of that type. `origin` is the URL the request came to (embedded-store URLs are
   * relative to it).
   */
  async presignUpload(callerId: string, input: PresignUpload, origin: string) {
    const { config, limiter, blobs } = this.deps;
    this.assertAcceptable(input);
    await limiter.consume('presign', callerId);
    const fileId = randomUUID();
    const key = objectKey(callerId, fileId);
    // Signing first: with the store down nothing is reserved, and the caller hears so at once.
    const signed = await blobs.signUpload(
      key,
      { size: input.size, contentType: input.contentType },
      config.DRIVE_UPLOAD_URL_TTL_SECONDS,
    );
    const file = await withReadCommitted(
      this.deps.db,
      async (trx) => {
        await trx
          .insertInto('drive_usage')
          .values({ user_id: callerId })
          .onConflict((oc) => oc.column('user_id').doNothing())
          .execute();
        const reserved = await trx
          .updateTable('drive_usage')
          .set((eb) => ({ reserved_bytes: eb('reserved_bytes', '+', String(input.size)) }))
          .where('user_id', '=', callerId)
          .where(
            (eb) =>
              sql<boolean>`${eb.ref('used_bytes')} + ${eb.ref('reserved_bytes')} + ${input.size} <= ${config.DRIVE_QUOTA_BYTES}`,
          )
          .returning('user_id')
          .executeTakeFirst();
        if (!reserved) throw await this.quotaExceeded(trx, callerId, input.size);
        return trx
          .insertInto('files')
          .values({
            id: fileId,
            owner_id: callerId,
            object_key: key,
            name: input.name,
            content_type: input.contentType,
            size: input.size,
            upload_expires_at: new Date(Date.now() + config.DRIVE_UPLOAD_COMPLETE_WITHIN_SECONDS * 1000),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      },
      { metrics: this.deps.metrics },
    );
    const upload = resolvedAgainst(signed, origin);
    return {
      fileId,
      method: 'PUT' as const,
      uploadUrl: upload.url,
      headers: upload.headers,
      expiresAt: upload.expiresAt.toISOString(),
      file: toDriveFile(file),
    };
  }

  /**
   * Counts the file once the store holds exactly what was announced (HEAD: size and type). An
   * object that differs is deleted and its reservation freed; no object yet is a 409 the client
   * may retry after uploading. Completing a completed file answers it again.
   */
  async completeUpload(callerId: string, fileId: string): Promise<DriveFile> {
    const file = await this.ownFile(callerId, fileId);
    if (file.status === 'ready') return toDriveFile(file);
    if (new Date(file.upload_expires_at) <= new Date()) {
      throw conflict('upload-expired', 'The time to complete this upload has passed; upload the file again.');
    }
    const head = await this.deps.blobs.head(file.object_key);
    if (!head) {
      throw conflict(
        'upload-missing',
        'Nothing has been uploaded for this file yet; PUT it to its upload URL first.',
      );
    }
    const size = Number(file.size);
    if (head.size !== size || head.contentType.toLowerCase() !== file.content_type) {
      await this.removeFile(file);
      this.deps.metrics.filesUploadedTotal.inc({ outcome: 'rejected' });
      throw new ProblemError(
        422,
        'upload-mismatch',
        `The stored object is ${head.size} bytes of ${head.contentType}, not the ${size} bytes of ${file.content_type} announced; it was deleted.`,
      );
    }
    const completed = await withReadCommitted(
      this.deps.db,
      async (trx) => {
        const row = await trx
          .updateTable('files')
          .set({ status: 'ready', completed_at: new Date() })
          .where('id', '=', fileId)
          .where('status', '=', 'pending')
          .returningAll()
          .executeTakeFirst();
        // Completed by a concurrent request, or expired by the sweep: report what is stored now.
        if (!row) return null;
        await trx
          .updateTable('drive_usage')
          .set((eb) => ({
            reserved_bytes: eb('reserved_bytes', '-', String(size)),
            used_bytes: eb('used_bytes', '+', String(size)),
          }))
          .where('user_id', '=', callerId)
          .execute();
        return row;
      },
      { metrics: this.deps.metrics },
    );
    if (!completed) return toDriveFile(await this.ownFile(callerId, fileId));
    this.deps.metrics.filesUploadedTotal.inc({ outcome: 'stored' });
    return toDriveFile(completed);
  }

  /** The caller's files, newest first, and how much of the quota they take. */
  async list(callerId: string, page: { cursor?: string; limit: number }) {
    const { db, config } = this.deps;
    let query = db
      .selectFrom('files')
      .selectAll()
      .select(exactTime('files.created_at').as('position'))
      .where('owner_id', '=', callerId)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit + 1);
    if (page.cursor)
      query = query.where(afterCursor('files.created_at', 'files.id', decodeTimeCursor(page.cursor)));
    const [rows, usage] = await Promise.all([
      query.execute(),
      db.selectFrom('drive_usage').selectAll().where('user_id', '=', callerId).executeTakeFirst(),
    ]);
    const items = rows.slice(0, page.limit);
    const last = items.at(-1);
    return {
      items: items.map(toDriveFile),
      nextCursor: rows.length > page.limit && last ? encodeCursor({ at: last.position, id: last.id }) : null,
      usedBytes: Number(usage?.used_bytes ?? 0),
      reservedBytes: Number(usage?.reserved_bytes ?? 0),
      quotaBytes: config.DRIVE_QUOTA_BYTES,
    };
  }

  /**
   * A short-lived URL that downloads the file. The owner may; so may a member of a conversation
   * where a message that stands attached it, or someone who shares a conversation with the user
   * whose avatar it is. Everyone else gets the same 404 as for a file that does not exist.
   */
  async download(callerId: string, fileId: string, origin: string) {
    const file = await this.visibleFile(callerId, fileId);
    if (file.status !== 'ready') {
      throw conflict('upload-incomplete', 'The upload of this file has not been completed.');
    }
    const signed = await this.deps.blobs.signDownload(
      file.object_key,
      { fileName: file.name, contentType: file.content_type },
      this.deps.config.DRIVE_DOWNLOAD_URL_TTL_SECONDS,
    );
    const download = resolvedAgainst(signed, origin);
    return { url: download.url, expiresAt: download.expiresAt.toISOString(), file: toDriveFile(file) };
  }

  /**
   * The owner deletes; the file leaves every message it was attached to and stops being the
   * owner's avatar, and its bytes leave the quota at once. The object follows through the queue.
   */
  async delete(callerId: string, fileId: string): Promise<void> {
    const file = await this.visibleFile(callerId, fileId);
    if (file.owner_id !== callerId) throw forbidden('Only the owner may delete a file.');
    await this.removeFile(file);
  }

  /**
   * The scheduled sweep: expires uploads not completed in time (freeing their reservations) and
   * deletes the objects whose deletion is due. Safe to run anywhere, any number of times at once.
   */
  async sweep(): Promise<{ expired: number; deleted: number; failed: number }> {
    const stale = await this.deps.db
      .selectFrom('files')
      .selectAll()
      .where('status', '=', 'pending')
      .where('upload_expires_at', '<', new Date())
      .orderBy('upload_expires_at')
      .limit(SWEEP_BATCH)
      .execute();
    let expired = 0;
    for (const file of stale)
      if (await this.removeFile(file, { onlyIfPending: true, deleteNow: false })) expired++;
    this.deps.metrics.filesExpiredTotal.inc(expired);
    return { expired, ...(await this.deletions.drain(SWEEP_BATCH)) };
  }

  /**
   * Deletes every object under an erased user's prefix, strays included. The queue written when
   * the account was erased still holds their keys for a last pass once their upload windows close.
   */
  async eraseObjectsOf(userId: string): Promise<void> {
    await this.deps.blobs.deletePrefix(userPrefix(userId));
  }

  private assertAcceptable(input: PresignUpload): void {
    const { DRIVE_MAX_FILE_BYTES, DRIVE_ALLOWED_TYPES } = this.deps.config;
    if (input.size > DRIVE_MAX_FILE_BYTES) {
      throw new ProblemError(422, 'file-too-large', `Files may be at most ${DRIVE_MAX_FILE_BYTES} bytes.`, {
        errors: [{ field: 'body.size', message: `must be at most ${DRIVE_MAX_FILE_BYTES}` }],
      });
    }
    const [type, subtype] = essence(input.contentType).split('/');
    const allowed = DRIVE_ALLOWED_TYPES.some((pattern) => {
      const [allowedType, allowedSubtype] = pattern.split('/');
      return (
        (allowedType === '*' || allowedType === type) &&
        (allowedSubtype === '*' || allowedSubtype === subtype)
      );
    });
    if (!allowed) {
      throw new ProblemError(
        422,
        'file-type-not-allowed',
        `Files of type ${essence(input.contentType)} are not accepted here.`,
        {
          errors: [
            { field: 'body.contentType', message: `must be one of ${DRIVE_ALLOWED_TYPES.join(', ')}` },
          ],
        },
      );
    }
  }

  private async quotaExceeded(trx: Kysely<DB>, userId: string, size: number): Promise<ProblemError> {
    const usage = await trx
      .selectFrom('drive_usage')
      .selectAll()
      .where('user_id', '=', userId)
      .executeTakeFirst();
    const used = Number(usage?.used_bytes ?? 0);
    const reserved = Number(usage?.reserved_bytes ?? 0);
    const quota = this.deps.config.DRIVE_QUOTA_BYTES;
    return new ProblemError(
      409,
      'quota-exceeded',
      `${size} more bytes would exceed your storage quota: ${used} used and ${reserved} reserved for uploads in progress, of ${quota}.`,
      { usedBytes: used, reservedBytes: reserved, quotaBytes: quota },
    );
  }

  /** The caller's own file, pending or not. */
  private async ownFile(callerId: string, fileId: string): Promise<FileRow> {
    const file = await this.deps.db
      .selectFrom('files')
      .selectAll()
      .where('id', '=', fileId)
      .where('owner_id', '=', callerId)
      .executeTakeFirst();
    if (!file) throw noSuchFile();
    return file;
  }

  /** See {@link download} for who may see a file; only its owner sees it before it is completed. */
  private async visibleFile(callerId: string, fileId: string): Promise<FileRow> {
    const file = await this.deps.db
      .selectFrom('files')
      .selectAll()
      .where('id', '=', fileId)
      .where((eb) =>
        eb.or([
          eb('owner_id', '=', callerId),
          eb.and([
            eb('status', '=', 'ready'),
            eb.or([
              eb.exists(
                eb
                  .selectFrom('file_shares')
                  .innerJoin(
                    'conversation_members',
                    'conversation_members.conversation_id',
                    'file_shares.conversation_id',
                  )
                  .select('file_shares.file_id')
                  .whereRef('file_shares.file_id', '=', 'files.id')
                  .where('conversation_members.user_id', '=', callerId),
              ),
              eb.exists(
                eb
                  .selectFrom('users')
                  .innerJoin('conversation_members as theirs', 'theirs.user_id', 'users.id')
                  .innerJoin('conversation_members as mine', 'mine.conversation_id', 'theirs.conversation_id')
                  .select('users.id')
                  .whereRef('users.avatar_file_id', '=', 'files.id')
                  .where('mine.user_id', '=', callerId),
              ),
            ]),
          ]),
        ]),
      )
      .executeTakeFirst();
    if (!file) throw noSuchFile();
    return file;
  }

  /**
   * Removes a file from SQL and frees its bytes (used if completed, reserved if not), queues its
   * object for deletion in the same transaction, then tries the deletion at once. False when the
   * file was already gone (or, with `onlyIfPending`, no longer pending).
   */
  private async removeFile(
    file: FileRow,
    { onlyIfPending = false, deleteNow = true }: { onlyIfPending?: boolean; deleteNow?: boolean } = {},
  ): Promise<boolean> {
    const removed = await withReadCommitted(
      this.deps.db,
      async (trx) => {
        let statement = trx.deleteFrom('files').where('id', '=', file.id);
        if (onlyIfPending) statement = statement.where('status', '=', 'pending');
        const row = await statement.returningAll().executeTakeFirst();
        if (!row) return null;
        const size = Number(row.size);
        await trx
          .updateTable('drive_usage')
          .set((eb) =>
            row.status === 'ready'
              ? { used_bytes: eb('used_bytes', '-', String(size)) }
              : { reserved_bytes: eb('reserved_bytes', '-', String(size)) },
          )
          .where('user_id', '=', row.owner_id)
          .execute();
        await trx
          .updateTable('users')
          .set({ avatar_file_id: null })
          .where('id', '=', row.owner_id)
          .where('avatar_file_id', '=', row.id)
          .execute();
        await queueBlobDeletions(trx, [row]);
        return row;
      },
      { metrics: this.deps.metrics },
    );
    if (!removed) return false;
    if (deleteNow) await this.deletions.deleteNow([removed.object_key]);
    return true;
  }
}
