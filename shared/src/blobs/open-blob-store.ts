import type { Config } from '../config/env';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { BlobStore } from './blob-store';

/** What {@link openBlobStore} reads. */
export interface OpenBlobStoreOptions {
  config: Pick<
    Config,
    | 'DATA_DIR'
    | 'S3_ENDPOINT'
    | 'S3_PUBLIC_ENDPOINT'
    | 'S3_BUCKET'
    | 'S3_REGION'
    | 'S3_ACCESS_KEY_ID'
    | 'S3_SECRET_ACCESS_KEY'
    | 'S3_FORCE_PATH_STYLE'
    | 'S3_REQUEST_TIMEOUT_MS'
  >;
  logger: Logger;
  metrics: Metrics;
}

/**
 * The drive's blob store: S3 behind the resilience policy when S3_BUCKET is set, else the
 * embedded directory under DATA_DIR (SPEC §4). Only S3 is wrapped: a local directory has no
 * transient failures to retry or outage to break on — its errors (EACCES, ENOSPC) are faults to
 * surface — and `s3_*` metrics about it would mislead. Each adapter is imported on demand, so
 * the embedded mode never loads the AWS SDK.
 */
export async function openBlobStore({ config, logger, metrics }: OpenBlobStoreOptions): Promise<BlobStore> {
  if (config.S3_BUCKET === undefined) {
    const { LocalBlobStore } = await import('./local-blob-store');
    return LocalBlobStore.open({ dataDir: config.DATA_DIR });
  }
  const [{ S3BlobStore }, { ResilientBlobStore }] = await Promise.all([
    import('./s3-blob-store'),
    import('./resilient-blob-store'),
  ]);
  const { S3_ACCESS_KEY_ID: accessKeyId, S3_SECRET_ACCESS_KEY: secretAccessKey } = config;
  const store = new S3BlobStore({
    endpoint: config.S3_ENDPOINT,
    publicEndpoint: config.S3_PUBLIC_ENDPOINT,
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
    // Both or neither (checked with the configuration); neither means the SDK's default chain
    // (instance roles, web identity, ~/.aws).
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey } } : {}),
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
  });
  return new ResilientBlobStore(store, { timeoutMs: config.S3_REQUEST_TIMEOUT_MS, logger, metrics });
}
