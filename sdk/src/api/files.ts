import type { HttpTransport } from '../http';
import type {
  DriveFile,
  FileDownload,
  FileList,
  PageQuery,
  PresignUploadInput,
  UploadTicket,
} from '../types';

/** What {@link FilesApi.upload} sends: bytes, and what to call them. */
export interface UploadInput {
  /** A Blob or File (browsers), or bytes. */
  data: Blob | ArrayBuffer | Uint8Array;
  name: string;
  /** Defaults to the Blob's own type, else `application/octet-stream`. */
  contentType?: string;
  /** Aborts the PUT of the bytes (large files may take long; the SDK sets no deadline of its own). */
  signal?: AbortSignal;
}

/**
 * The drive (`files-*`): uploads go straight to object storage through a presigned URL, so a file
 * never passes through a function; {@link upload} does the three steps.
 */
export class FilesApi {
  constructor(private readonly http: HttpTransport) {}

  /**
   * Uploads a file: reserves quota and gets an upload URL, PUTs the bytes there, completes the
   * upload. Resolves with the completed file, ready to attach to a message or use as an avatar.
   *
   * @example
   * const file = await client.files.upload({ data: input.files[0], name: input.files[0].name });
   * await client.messages.send(conversationId, { body: 'the plan', attachmentFileIds: [file.id] });
   */
  async upload({ data, name, contentType, signal }: UploadInput): Promise<DriveFile> {
    const bytes = data instanceof Blob ? data : new Blob([data]);
    const type = contentType ?? (bytes.type || 'application/octet-stream');
    const ticket = await this.presign({ name, size: bytes.size, contentType: type });
    await this.http.transfer(ticket.uploadUrl, {
      method: ticket.method,
      headers: withoutLength(ticket.headers),
      body: bytes,
      signal,
    });
    return this.complete(ticket.fileId);
  }

  /** Step one of {@link upload}: reserves `size` bytes and answers where to PUT them. */
  presign(input: PresignUploadInput): Promise<UploadTicket> {
    return this.http.call('files-presign-upload', { body: input });
  }

  /** Step three of {@link upload}: the server checks the stored object, then the file counts. */
  complete(fileId: string): Promise<DriveFile> {
    return this.http.call('files-complete-upload', { params: { fileId } });
  }

  /** The caller's files, newest first, with `usedBytes`, `reservedBytes` and `quotaBytes`. */
  list(query: PageQuery = {}): Promise<FileList> {
    return this.http.call('files-list', { query });
  }

  /** A short-lived URL for the file (owner, members it was shared with, avatars of contacts). */
  downloadUrl(fileId: string): Promise<FileDownload> {
    return this.http.call('files-download', { params: { fileId } });
  }

  /** The file's bytes, fetched through {@link downloadUrl}. */
  async download(fileId: string, signal?: AbortSignal): Promise<Blob> {
    const { url } = await this.downloadUrl(fileId);
    return (await this.http.transfer(url, { signal })).blob();
  }

  /** The owner only; frees the quota at once. */
  delete(fileId: string): Promise<void> {
    return this.http.call('files-delete', { params: { fileId } });
  }
}

/** Fetch computes Content-Length from the body itself, and browsers refuse to have it set. */
function withoutLength(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-length'),
  );
}
