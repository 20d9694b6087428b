import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import {
  assertBlobKey,
  assertBlobPrefix,
  attachmentDisposition,
  type BlobCallOptions,
  type BlobHead,
  type BlobStore,
  type SignedRequest,
} from './blob-store';

/** Options for {@link S3BlobStore}; usually the S3_* variables. */
export interface S3BlobStoreOptions {
  /** S3_ENDPOINT: where this process calls the store; unset means AWS S3 for the region. */
  endpoint?: string;
  /** S3_PUBLIC_ENDPOINT: the host clients use, which presigned URLs name (and sign). */
  publicEndpoint?: string;
  bucket: string;
  region: string;
  /** S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY; unset means the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** S3_FORCE_PATH_STYLE: `<endpoint>/<bucket>/<key>`, as MinIO expects. */
  forcePathStyle: boolean;
}

/** The most keys one DeleteObjects request may name (and one ListObjectsV2 page returns). */
const BATCH = 1000;

/**
 * Headers a presigned PUT signs beyond `host`. getSignedUrl leaves content-type and
 * content-length out of the signature unless told otherwise, and then S3 would accept any
 * length or type (SPEC §7 wants both signed): the URL's X-Amz-SignedHeaders must read
 * `content-length;content-type;host`.
 */
const SIGNED_UPLOAD_HEADERS = new Set(['content-type', 'content-length']);

/**
 * The SDK prints a multi-line NodeVersionSupportWarning on Node < 22 through process.emitWarning,
 * on stderr beside our one-JSON-object-per-line logs. We run on Node 20 knowingly (decisions:
 * "Versions that still run on Node 20"; production images run Node 22, where it never fires), so
 * we set the switch AWS documents for it (aws-sdk-js-v3#7983) unless the operator set it.
 */
function silenceNodeVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

function isNotFound(error: unknown): boolean {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return name === 'NotFound' || name === 'NoSuchKey' || $metadata?.httpStatusCode === 404;
}

/**
 * {@link BlobStore} on S3 or MinIO (SPEC §7): presigned PUTs that sign the length and the type,
 * presigned GETs that make the object an attachment, and the calls the drive makes itself. Two
 * clients, built once: one calls the store at S3_ENDPOINT; the other only signs, for
 * S3_PUBLIC_ENDPOINT, since a SigV4 signature covers the host the client will use. The bucket is
 * not created here: a one-shot job does that in production, the tests do it for themselves.
 *
 * The SDK's own retries are off (`maxAttempts: 1`): retries, timeouts and the circuit breaker
 * belong to {@link ResilientBlobStore}, which passes each attempt's AbortSignal down.
 */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3';
  /** Reachability is the resilient wrapper's concern; bare, this store never claims an outage. */
  readonly degraded = false;
  private readonly client: S3Client;
  private readonly signer: S3Client;
  private readonly bucket: string;

  constructor({ endpoint, publicEndpoint, bucket, region, credentials, forcePathStyle }: S3BlobStoreOptions) {
    silenceNodeVersionWarning();
    const base: S3ClientConfig = {
      region,
      forcePathStyle,
      ...(credentials ? { credentials } : {}),
      maxAttempts: 1,
      // The default (WHEN_SUPPORTED) adds x-amz-checksum-crc32 of an EMPTY body to presigned PUT
      // URLs, which S3 and MinIO then hold every real upload against. Checksums are computed
      // only where an operation requires one (DeleteObjects).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
    this.bucket = bucket;
    this.client = new S3Client({ ...base, ...(endpoint ? { endpoint } : {}) });
    const signingEndpoint = publicEndpoint ?? endpoint;
    this.signer =
      signingEndpoint === endpoint
        ? this.client
        : new S3Client({ ...base, ...(signingEndpoint ? { endpoint: signingEndpoint } : {}) });
  }

  async signUpload(
    key: string,
    { size, contentType }: { size: number; contentType: string },
    expiresInSeconds: number,
  ): Promise<SignedRequest> {
    assertBlobKey(key);
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ContentType: contentType,
      ContentLength: size,
    });
    const { url, expiresAt } = await this.presign(command, expiresInSeconds, SIGNED_UPLOAD_HEADERS);
    return {
      method: 'PUT',
      url,
      headers: { 'content-type': contentType, 'content-length': String(size) },
      expiresAt,
    };
  }

  async signDownload(
    key: string,
    { fileName, contentType }: { fileName: string; contentType: string },
    expiresInSeconds: number,
  ): Promise<SignedRequest> {
    assertBlobKey(key);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentDisposition: attachmentDisposition(fileName),
      ResponseContentType: contentType,
    });
    const { url, expiresAt } = await this.presign(command, expiresInSeconds);
    return { method: 'GET', url, headers: {}, expiresAt };
  }

  async head(key: string, { signal }: BlobCallOptions = {}): Promise<BlobHead | null> {
    assertBlobKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), {
        abortSignal: signal,
      });
      return { size: head.ContentLength ?? 0, contentType: head.ContentType ?? 'application/octet-stream' };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  async delete(key: string, { signal }: BlobCallOptions = {}): Promise<void> {
    assertBlobKey(key);
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }), {
      abortSignal: signal,
    });
  }

  /**
   * Lists a page, deletes it in one DeleteObjects request, and lists again from the start (what
   * was deleted no longer shows), until nothing is left or `maxKeys` objects are gone.
   */
  async deletePrefix(
    prefix: string,
    { signal, maxKeys = Number.POSITIVE_INFINITY }: BlobCallOptions & { maxKeys?: number } = {},
  ): Promise<number> {
    assertBlobPrefix(prefix);
    let deleted = 0;
    while (deleted < maxKeys) {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          MaxKeys: Math.min(BATCH, maxKeys - deleted),
        }),
        { abortSignal: signal },
      );
      const keys = (page.Contents ?? []).flatMap(({ Key }) => (Key === undefined ? [] : [{ Key }]));
      if (keys.length === 0) break;
      const result = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys, Quiet: true } }),
        { abortSignal: signal },
      );
      const failure = result.Errors?.[0];
      if (failure)
        throw new Error(
          `S3 refused to delete ${result.Errors?.length} of ${keys.length} objects under ${prefix} (${failure.Code}: ${failure.Message})`,
        );
      deleted += keys.length;
      if (!page.IsTruncated) break;
    }
    return deleted;
  }

  async ping({ signal }: BlobCallOptions = {}): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal: signal });
  }

  async close(): Promise<void> {
    this.client.destroy();
    if (this.signer !== this.client) this.signer.destroy();
  }

  /**
   * A presigned URL valid for exactly `expiresInSeconds` from its X-Amz-Date (whole seconds), so
   * `expiresAt` is the instant the store starts refusing it.
   */
  private async presign(
    command: PutObjectCommand | GetObjectCommand,
    expiresInSeconds: number,
    signableHeaders?: Set<string>,
  ): Promise<{ url: string; expiresAt: Date }> {
    const signingDate = new Date(Math.floor(Date.now() / 1000) * 1000);
    const url = await getSignedUrl(this.signer, command, {
      expiresIn: expiresInSeconds,
      signingDate,
      ...(signableHeaders ? { signableHeaders } : {}),
    });
    return { url, expiresAt: new Date(signingDate.getTime() + expiresInSeconds * 1000) };
  }
}
