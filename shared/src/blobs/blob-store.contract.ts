import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type BlobStore, objectKey, type SignedRequest, userPrefix } from './blob-store';

/** What a contract run needs: the store, and the server its root-relative URLs resolve against. */
export interface BlobStoreUnderTest {
  store: BlobStore;
  /** Base for root-relative signed URLs (the embedded store's); absolute ones ignore it. */
  baseUrl: string;
  close(): Promise<void>;
}

const TYPE = 'text/plain';

/**
 * The behaviour every {@link BlobStore} owes the drive, run against each adapter over real HTTP:
 * the embedded store through the routes `bootFunctions` mounts, S3 through s3rver behind the
 * signature-verifying proxy (testing/s3.ts). Signed requests are sent exactly as a client would.
 */
export function describeBlobStoreContract(name: string, open: () => Promise<BlobStoreUnderTest>): void {
  describe(`${name} (BlobStore contract)`, () => {
    let subject: BlobStoreUnderTest;
    let store: BlobStore;

    beforeAll(async () => {
      subject = await open();
      store = subject.store;
    });
    afterAll(async () => {
      await subject?.close();
    });

    const key = () => objectKey(randomUUID(), randomUUID());

    /** Sends a signed request with its headers, overridden or dropped (undefined) as given. */
    const send = (
      signed: SignedRequest,
      {
        body,
        headers = {},
        url = signed.url,
      }: { body?: Buffer; headers?: Record<string, string>; url?: string } = {},
    ) =>
      fetch(new URL(url, subject.baseUrl), {
        method: signed.method,
        headers: { ...signed.headers, ...headers },
        ...(body === undefined ? {} : { body }),
      });

    /** Signs as if it were `secondsAgo` earlier: the URL's validity ended before now. */
    const signedInThePast = async <T>(secondsAgo: number, sign: () => Promise<T>): Promise<T> => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(Date.now() - secondsAgo * 1000);
      try {
        return await sign();
      } finally {
        vi.useRealTimers();
      }
    };

    /** The same URL with its signature changed in one character. */
    const tampered = (url: string) =>
      url.replace(
        /([?&](?:X-Amz-Signature|signature)=)([^&])/,
        (_match, name: string, first: string) => `${name}${first === 'A' ? 'B' : 'A'}`,
      );

    it('stores exactly the signed bytes and type, and head reports them', async () => {
      const k = key();
      const body = Buffer.from('hello, drive');
      const signed = await store.signUpload(k, { size: body.length, contentType: TYPE }, 60);
      expect(signed.method).toBe('PUT');
      expect(signed.headers).toEqual({ 'content-type': TYPE, 'content-length': String(body.length) });
      expect(signed.expiresAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
      expect(signed.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 60_000);
      const response = await send(signed, { body });
      expect(response.status).toBe(200);
      expect(await store.head(k)).toEqual({ size: body.length, contentType: TYPE });
    });

    it('refuses a PUT of another length than signed, and stores nothing', async () => {
      const k = key();
      const signed = await store.signUpload(k, { size: 5, contentType: TYPE }, 60);
      const longer = await send(signed, {
        body: Buffer.from('0123456789'),
        headers: { 'content-length': '10' },
      });
      expect(longer.status).toBe(403);
      const shorter = await send(signed, { body: Buffer.from('012'), headers: { 'content-length': '3' } });
      expect(shorter.status).toBe(403);
      expect(await store.head(k)).toBeNull();
    });

    it('refuses a PUT of another content type than signed', async () => {
      const k = key();
      const signed = await store.signUpload(k, { size: 5, contentType: TYPE }, 60);
      const response = await send(signed, {
        body: Buffer.from('hello'),
        headers: { 'content-type': 'text/html' },
      });
      expect(response.status).toBe(403);
      expect(await store.head(k)).toBeNull();
    });

    it('refuses an expired upload URL', async () => {
      const k = key();
      const signed = await signedInThePast(120, () =>
        store.signUpload(k, { size: 5, contentType: TYPE }, 60),
      );
      expect(signed.expiresAt.getTime()).toBeLessThan(Date.now());
      const response = await send(signed, { body: Buffer.from('hello') });
      expect(response.status).toBe(403);
      expect(await store.head(k)).toBeNull();
    });

    it('refuses a tampered signature', async () => {
      const k = key();
      const signed = await store.signUpload(k, { size: 5, contentType: TYPE }, 60);
      const url = tampered(signed.url);
      expect(url).not.toBe(signed.url);
      const response = await send(signed, { body: Buffer.from('hello'), url });
      expect(response.status).toBe(403);
      expect(await store.head(k)).toBeNull();
    });

    it.each([
      ['an ASCII name', 'report.txt'],
      ['a unicode name', 'Résumé – ünïcødé 📄 (final).txt'],
    ])('serves a download as an attachment with %s', async (_label, fileName) => {
      const k = key();
      const body = Buffer.from('downloaded bytes');
      await send(await store.signUpload(k, { size: body.length, contentType: TYPE }, 60), { body });
      const signed = await store.signDownload(k, { fileName, contentType: TYPE }, 60);
      expect(signed.method).toBe('GET');
      const response = await send(signed);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(TYPE);
      const disposition = response.headers.get('content-disposition') ?? '';
      expect(disposition).toMatch(/^attachment;/);
      const encoded = /filename\*=UTF-8''([^;\s]+)/.exec(disposition)?.[1] ?? '';
      expect(decodeURIComponent(encoded)).toBe(fileName);
      expect(Buffer.from(await response.arrayBuffer())).toEqual(body);
    });

    it('refuses an expired download URL', async () => {
      const k = key();
      await send(await store.signUpload(k, { size: 2, contentType: TYPE }, 60), { body: Buffer.from('hi') });
      const signed = await signedInThePast(120, () =>
        store.signDownload(k, { fileName: 'a.txt', contentType: TYPE }, 60),
      );
      const response = await send(signed);
      expect(response.status).toBe(403);
      await response.arrayBuffer();
    });

    it('deletes idempotently', async () => {
      const k = key();
      await send(await store.signUpload(k, { size: 2, contentType: TYPE }, 60), { body: Buffer.from('hi') });
      await store.delete(k);
      expect(await store.head(k)).toBeNull();
      await store.delete(k);
      await store.delete(key());
    });

    it('deletes a prefix, only that prefix, and counts what it deleted', async () => {
      const [owner, neighbour] = [randomUUID(), randomUUID()];
      const mine = [
        objectKey(owner, randomUUID()),
        objectKey(owner, randomUUID()),
        objectKey(owner, randomUUID()),
      ];
      const theirs = objectKey(neighbour, randomUUID());
      for (const k of [...mine, theirs]) {
        const response = await send(await store.signUpload(k, { size: 1, contentType: TYPE }, 60), {
          body: Buffer.from('x'),
        });
        expect(response.status).toBe(200);
      }
      expect(await store.deletePrefix(userPrefix(owner), { maxKeys: 2 })).toBe(2);
      expect(await store.deletePrefix(userPrefix(owner))).toBe(1);
      for (const k of mine) expect(await store.head(k)).toBeNull();
      expect(await store.head(theirs)).toEqual({ size: 1, contentType: TYPE });
      expect(await store.deletePrefix(userPrefix(owner))).toBe(0);
    });

    it('answers null for the head of a missing key', async () => {
      expect(await store.head(key())).toBeNull();
    });

    it.each(['../etc/passwd', '/users/a/b', 'users/../b', 'users//b', '', 'users/a/.hidden'])(
      'refuses the key %j before touching storage',
      async (bad) => {
        await expect(store.signUpload(bad, { size: 1, contentType: TYPE }, 60)).rejects.toBeInstanceOf(
          RangeError,
        );
        await expect(store.head(bad)).rejects.toBeInstanceOf(RangeError);
      },
    );

    it('refuses to delete an empty or partial prefix', async () => {
      await expect(store.deletePrefix('')).rejects.toBeInstanceOf(RangeError);
      await expect(store.deletePrefix('users/abc')).rejects.toBeInstanceOf(RangeError);
    });

    it('answers ping', async () => {
      await store.ping();
    });
  });
}
