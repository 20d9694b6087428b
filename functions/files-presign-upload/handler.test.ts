import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { presign, put } from '../../tests/support/drive';
import { useServer } from '../../tests/support/use-server';

const server = useServer({
  DRIVE_QUOTA_BYTES: '1000',
  DRIVE_MAX_FILE_BYTES: '600',
  DRIVE_ALLOWED_TYPES: 'text/*,image/png',
  RATE_LIMIT_PRESIGN: '8/60',
});
const start = (token: string, body: unknown) => server().request('POST', '/v1/files', { token, body });

describe('files-presign-upload', () => {
  it('reserves the size and answers a URL on this server that takes exactly those bytes', async () => {
    const ana = await registerAccount(server());
    const response = await start(ana.accessToken, { name: 'plan.txt', size: 5, contentType: 'text/plain' });
    expect(response.status).toBe(201);
    const ticket = response.body;
    expect(ticket).toMatchObject({
      method: 'PUT',
      headers: { 'content-type': 'text/plain', 'content-length': '5' },
      file: { id: ticket.fileId, name: 'plan.txt', size: 5, contentType: 'text/plain', status: 'pending' },
    });
    expect(ticket.uploadUrl.startsWith(`${server().url}/v1/blobs/users/${ana.id}/`)).toBe(true);
    const expiresIn = Date.parse(ticket.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(250_000);
    expect(expiresIn).toBeLessThanOrEqual(300_000);
    const usage = await server().request('GET', '/v1/files', { token: ana.accessToken });
    expect(usage.body).toMatchObject({ usedBytes: 0, reservedBytes: 5, quotaBytes: 1000 });
    expect((await put(ticket, 'hello')).status).toBe(200);
  });

  it('refuses what would pass the quota, naming the numbers', async () => {
    const ana = await registerAccount(server());
    await presign(server(), ana, { name: 'a.txt', size: 600, contentType: 'text/plain' });
    const over = await start(ana.accessToken, { name: 'b.txt', size: 401, contentType: 'text/plain' });
    expect(over.status).toBe(409);
    expect(over.body).toMatchObject({ usedBytes: 0, reservedBytes: 600, quotaBytes: 1000 });
    expect(over.body.type).toMatch(/quota-exceeded$/);
    expect(
      (await start(ana.accessToken, { name: 'c.txt', size: 400, contentType: 'text/plain' })).status,
    ).toBe(201);
  });

  it('refuses files over the size limit and types not allowed', async () => {
    const ana = await registerAccount(server());
    const big = await start(ana.accessToken, { name: 'big.txt', size: 601, contentType: 'text/plain' });
    expect(big.status).toBe(422);
    expect(big.body.errors).toEqual([{ field: 'body.size', message: 'must be at most 600' }]);
    const exe = await start(ana.accessToken, {
      name: 'run.exe',
      size: 10,
      contentType: 'application/x-msdownload',
    });
    expect(exe.status).toBe(422);
    expect(exe.body.type).toMatch(/file-type-not-allowed$/);
    expect((await start(ana.accessToken, { name: 'p.png', size: 10, contentType: 'IMAGE/PNG' })).status).toBe(
      201,
    );
    expect(
      (await start(ana.accessToken, { name: 'j.jpg', size: 10, contentType: 'image/jpeg' })).status,
    ).toBe(422);
  });

  it('names every bad field', async () => {
    const ana = await registerAccount(server());
    const cases: Array<[unknown, string]> = [
      [{ name: 'a/b.txt', size: 1, contentType: 'text/plain' }, 'body.name'],
      [{ name: '   ', size: 1, contentType: 'text/plain' }, 'body.name'],
      [{ name: 'a.txt', size: 0, contentType: 'text/plain' }, 'body.size'],
      [{ name: 'a.txt', size: 1.5, contentType: 'text/plain' }, 'body.size'],
      [{ name: 'a.txt', size: '1', contentType: 'text/plain' }, 'body.size'],
      [{ name: 'a.txt', size: 1, contentType: 'plain' }, 'body.contentType'],
      [{ name: 'a.txt', size: 1 }, 'body.contentType'],
    ];
    for (const [body, field] of cases) {
      const response = await start(ana.accessToken, body);
      expect({ body, status: response.status }).toEqual({ body, status: 400 });
      expect(response.body.errors.map((error: { field: string }) => error.field)).toContain(field);
    }
    const unauthenticated = await server().request('POST', '/v1/files', {
      body: { name: 'a.txt', size: 1, contentType: 'text/plain' },
    });
    expect(unauthenticated.status).toBe(401);
  });

  it('is rate-limited per user', async () => {
    const ana = await registerAccount(server());
    const statuses: number[] = [];
    for (let index = 0; index < 9; index++)
      statuses.push(
        (await start(ana.accessToken, { name: `${index}.txt`, size: 1, contentType: 'text/plain' })).status,
      );
    expect(statuses.slice(0, 8).every((status) => status === 201)).toBe(true);
    expect(statuses[8]).toBe(429);
  });
});
