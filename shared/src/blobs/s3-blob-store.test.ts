import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/env';
import { createLogger } from '../observability/logger';
import { Metrics } from '../observability/metrics';
import { startS3Endpoint, type TestS3Endpoint } from '../testing/s3';
import { objectKey } from './blob-store';
import { describeBlobStoreContract } from './blob-store.contract';
import { openBlobStore } from './open-blob-store';
import { S3BlobStore } from './s3-blob-store';

const logger = createLogger({ level: 'silent', service: 'test' });

let s3: TestS3Endpoint;
beforeAll(async () => {
  s3 = await startS3Endpoint();
});
afterAll(async () => {
  await s3?.close();
});

/** The adapter alone, without the resilience policy. */
function bareStore({
  secretAccessKey = s3.secretAccessKey,
  publicEndpoint = undefined as string | undefined,
} = {}) {
  return new S3BlobStore({
    endpoint: s3.url,
    publicEndpoint,
    bucket: s3.bucket,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey },
    forcePathStyle: true,
  });
}

describeBlobStoreContract('S3 (s3rver behind the verifying proxy)', async () => {
  const store = await openBlobStore({ config: loadConfig(s3.env()), logger, metrics: new Metrics() });
  return { store, baseUrl: s3.url, close: () => store.close() };
});

describe('S3 presigned URLs', () => {
  it('sign the length and the type of an upload, and carry no checksum of an empty body', async () => {
    const signed = await bareStore().signUpload(
      objectKey('owner', 'file'),
      { size: 5, contentType: 'image/png' },
      60,
    );
    const query = new URL(signed.url).searchParams;
    expect(query.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect([...query.keys()].filter((name) => /checksum/i.test(name))).toEqual([]);
    expect(query.get('X-Amz-Expires')).toBe('60');
  });

  it('name (and are signed for) S3_PUBLIC_ENDPOINT while calls go to S3_ENDPOINT', async () => {
    const store = bareStore({ publicEndpoint: 'https://files.example.test' });
    const signed = await store.signDownload(
      objectKey('owner', 'file'),
      { fileName: 'a.txt', contentType: 'text/plain' },
      60,
    );
    expect(new URL(signed.url).origin).toBe('https://files.example.test');
    expect(new URL(signed.url).pathname).toBe(`/${s3.bucket}/users/owner/file`);
    await store.ping();
    await store.close();
  });
});

describe('the verifying proxy', () => {
  it('refuses a request whose signature is wrong, and one with none, before s3rver sees it', async () => {
    const key = objectKey('owner', 'proxied');
    const forger = bareStore({ secretAccessKey: 'not-the-secret' });
    const signed = await forger.signUpload(key, { size: 5, contentType: 'text/plain' }, 60);
    const refusedBefore = s3.requests.refused;
    const forged = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: 'hello' });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    const anonymous = await fetch(`${s3.url}/${s3.bucket}/${key}`, { method: 'PUT', body: 'hello' });
    expect(anonymous.status).toBe(403);
    expect(await anonymous.text()).toContain('<Code>AccessDenied</Code>');
    expect(s3.requests.refused - refusedBefore).toBe(2);
    const store = bareStore();
    expect(await store.head(key)).toBeNull();
    await Promise.all([forger.close(), store.close()]);
  });
});
