import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemError } from '../errors/problem';
import { createLogger } from '../observability/logger';
import { Metrics } from '../observability/metrics';
import { capturingPlatform } from '../testing/platform';
import { startS3Endpoint, type TestS3Endpoint } from '../testing/s3';
import { objectKey, userPrefix } from './blob-store';
import { BLOB_POLICY, ResilientBlobStore } from './resilient-blob-store';
import { S3BlobStore } from './s3-blob-store';

const logger = createLogger({ level: 'silent', service: 'test' });
const HALF_OPEN_AFTER_MS = 1500;

let s3: TestS3Endpoint;
beforeAll(async () => {
  s3 = await startS3Endpoint();
});
afterAll(async () => {
  await s3?.close();
});

function resilientStore(metrics: Metrics, secretAccessKey = s3.secretAccessKey) {
  const inner = new S3BlobStore({
    endpoint: s3.url,
    bucket: s3.bucket,
    region: s3.region,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey },
    forcePathStyle: true,
  });
  return new ResilientBlobStore(inner, {
    timeoutMs: 500,
    logger,
    metrics,
    halfOpenAfterMs: HALF_OPEN_AFTER_MS,
  });
}

async function gauge(metrics: Metrics): Promise<number> {
  return (await metrics.s3CircuitBreakerOpen.get()).values[0]?.value ?? Number.NaN;
}

/** How many attempts of `operation` ended with `outcome`, from the duration histogram. */
async function attempts(metrics: Metrics, operation: string, outcome: string): Promise<number> {
  const { values } = await metrics.s3RequestDuration.get();
  const count = values.find(
    (value) =>
      value.metricName === 's3_request_duration_seconds_count' &&
      value.labels.operation === operation &&
      value.labels.outcome === outcome,
  );
  return count?.value ?? 0;
}

/** Resolves with the 503 a call answers, and how long it took. */
async function unavailable(
  call: () => Promise<unknown>,
): Promise<{ error: ProblemError; elapsedMs: number }> {
  const started = performance.now();
  const error = await call().then(
    () => undefined,
    (caught: unknown) => caught,
  );
  const elapsedMs = performance.now() - started;
  expect(error).toBeInstanceOf(ProblemError);
  expect(error).toMatchObject({ status: 503, code: 'storage-unavailable' });
  return { error: error as ProblemError, elapsedMs };
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('ResilientBlobStore against an S3 outage', () => {
  it('opens the circuit, answers 503 at once while open, and closes again by itself', async () => {
    const metrics = new Metrics();
    const store = resilientStore(metrics);
    const key = objectKey('owner', 'file');
    try {
      expect(await store.head(key)).toBeNull();
      expect(await gauge(metrics)).toBe(0);

      await s3.stop();
      // Each failed call was tried twice (one retry) before it counted against the breaker.
      await unavailable(() => store.head(key));
      expect(await attempts(metrics, 'head', 'unavailable')).toBe(BLOB_POLICY.retries + 1);
      for (let call = 1; call < BLOB_POLICY.breakerThreshold; call++)
        await unavailable(() => store.head(key));
      expect(store.degraded).toBe(true);
      expect(await gauge(metrics)).toBe(1);
      expect(await metrics.registry.metrics()).toMatch(/^s3_circuit_breaker_open 1$/m);

      const calls: Array<[string, () => Promise<unknown>]> = [
        ['head', () => store.head(key)],
        ['delete', () => store.delete(key)],
        ['deletePrefix', () => store.deletePrefix(userPrefix('owner'))],
        ['ping', () => store.ping()],
        ['signUpload', () => store.signUpload(key, { size: 1, contentType: 'text/plain' }, 60)],
        ['signDownload', () => store.signDownload(key, { fileName: 'a', contentType: 'text/plain' }, 60)],
      ];
      const attemptsBefore = await attempts(metrics, 'head', 'unavailable');
      for (const [name, call] of calls) {
        const { error, elapsedMs } = await unavailable(call);
        // A behaviour bound (no network is touched), not a benchmark.
        expect(elapsedMs, name).toBeLessThan(1000);
        const retryAfter = Number(error.headers()['retry-after']);
        expect(retryAfter, name).toBeGreaterThanOrEqual(1);
        expect(retryAfter, name).toBeLessThanOrEqual(Math.ceil(HALF_OPEN_AFTER_MS / 1000));
      }
      expect(await attempts(metrics, 'head', 'unavailable')).toBe(attemptsBefore);

      await s3.start();
      // No call is made: the store's own half-open probe finds S3 back.
      await until(async () => (await gauge(metrics)) === 0, HALF_OPEN_AFTER_MS * 4);
      expect(store.degraded).toBe(false);
      expect(await store.head(key)).toBeNull();
      const signed = await store.signUpload(key, { size: 1, contentType: 'text/plain' }, 60);
      expect((await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: 'x' })).status).toBe(
        200,
      );
    } finally {
      await s3.start();
      await store.close();
    }
  });

  it('does not retry a 4xx, nor count it against the breaker, and answers it as a 503', async () => {
    const metrics = new Metrics();
    const store = resilientStore(metrics, 'wrong-secret');
    try {
      const before = s3.requests.received;
      const error = await store.head(objectKey('owner', 'file')).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ProblemError);
      expect((error as ProblemError).status).toBe(503);
      expect((error as ProblemError).code).toBe('storage-unavailable');
      expect(s3.requests.received - before).toBe(1);
      expect(await attempts(metrics, 'head', 'error')).toBe(1);
      for (let call = 0; call < BLOB_POLICY.breakerThreshold; call++) await store.ping().catch(() => {});
      expect(store.degraded).toBe(false);
      expect(await gauge(metrics)).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('pings before signing only when no call succeeded moments ago', async () => {
    const metrics = new Metrics();
    const store = resilientStore(metrics);
    try {
      const key = objectKey('owner', 'file');
      await store.signUpload(key, { size: 1, contentType: 'text/plain' }, 60);
      await store.signDownload(key, { fileName: 'a', contentType: 'text/plain' }, 60);
      expect(await attempts(metrics, 'ping', 'ok')).toBe(1);
    } finally {
      await store.close();
    }
  });
});

describe('/readyz for the blob store', () => {
  it('says s3 when reachable and degraded (200) while S3 is down, never down', async () => {
    const { platform } = capturingPlatform({ ...s3.env(), LOG_LEVEL: 'silent' });
    try {
      expect(await platform.readiness(['blobs'])).toEqual({
        status: 'ok',
        checks: { blobs: { status: 'ok', detail: 's3' } },
      });
      await s3.stop();
      const report = await platform.readiness(['blobs']);
      expect(report.status).toBe('degraded');
      expect(report.checks.blobs?.detail).toMatch(/^s3: /);
      for (let call = 0; call < BLOB_POLICY.breakerThreshold; call++) await platform.readiness(['blobs']);
      expect((await platform.readiness(['blobs'])).checks.blobs).toEqual({
        status: 'degraded',
        detail: 's3: unreachable, circuit open; drive calls answer 503',
      });
    } finally {
      await s3.start();
      await platform.close();
    }
  });

  it('says local (embedded) without S3', async () => {
    const { platform } = capturingPlatform({ LOG_LEVEL: 'silent' });
    try {
      expect((await platform.readiness(['blobs'])).checks.blobs).toEqual({
        status: 'ok',
        detail: 'local (embedded)',
      });
    } finally {
      await platform.close();
    }
  });
});
