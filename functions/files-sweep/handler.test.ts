import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { metricValue } from '../../shared/src/testing/observability';
import { presign, put } from '../../tests/support/drive';
import { useServer } from '../../tests/support/use-server';

const server = useServer({ DRIVE_UPLOAD_URL_TTL_SECONDS: '1', DRIVE_UPLOAD_COMPLETE_WITHIN_SECONDS: '1' });
const sweep = () => server().request('POST', '/function/files-sweep');

describe('files-sweep', () => {
  it('expires uploads not completed in time: reservation freed, object deleted, file gone', async () => {
    const ana = await registerAccount(server());
    const uploaded = await presign(server(), ana, { name: 'a.txt', size: 5, contentType: 'text/plain' });
    await put(uploaded, 'hello');
    const abandoned = await presign(server(), ana, { name: 'b.txt', size: 7, contentType: 'text/plain' });
    const expiredBefore = await metricValue(server().server.platform.metrics.filesExpiredTotal);
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const late = await server().request('POST', `/v1/files/${uploaded.fileId}/complete`, {
      token: ana.accessToken,
    });
    expect(late.status).toBe(409);
    expect(late.body.type).toMatch(/upload-expired$/);
    const response = await sweep();
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ expired: 2, failed: 0 });
    expect(response.body.deleted).toBeGreaterThanOrEqual(2);
    expect(await metricValue(server().server.platform.metrics.filesExpiredTotal)).toBe(expiredBefore + 2);

    const files = await server().request('GET', '/v1/files', { token: ana.accessToken });
    expect(files.body).toMatchObject({ items: [], usedBytes: 0, reservedBytes: 0 });
    const store = await server().server.platform.blobStore();
    expect(await store.head(`users/${ana.id}/${uploaded.fileId}`)).toBeNull();
    expect(
      (await server().request('GET', `/v1/files/${abandoned.fileId}/download`, { token: ana.accessToken }))
        .status,
    ).toBe(404);
    expect((await sweep()).body).toEqual({ expired: 0, deleted: 0, failed: 0 });
  });

  it('is internal: served at its OpenFaaS address only, never under a public path', async () => {
    expect((await server().request('POST', '/')).status).toBe(404);
    expect((await server().request('POST', '/v1/files-sweep')).status).toBe(404);
    const openapi = await import('../../shared/src/http/openapi');
    const { loadFunctions } = await import('../../scripts/lib/function-catalog');
    const document = openapi.buildOpenApiDocument(await loadFunctions(), { version: 'test' });
    expect(JSON.stringify(document)).not.toContain('files-sweep');
  });
});
