import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { presign, uploadFile } from '../../tests/support/drive';
import { useServer } from '../../tests/support/use-server';

const server = useServer({ DRIVE_QUOTA_BYTES: '5000' });
const list = (token: string, query = '') => server().request('GET', `/v1/files${query}`, { token });

describe('files-list', () => {
  it("pages through the caller's own files, newest first, each once, with the usage", async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const names = ['one', 'two', 'three', 'four', 'five'];
    for (const name of names) await uploadFile(server(), ana, { name: `${name}.txt`, content: name });
    await presign(server(), ana, { name: 'pending.txt', size: 100, contentType: 'text/plain' });
    await uploadFile(server(), ben, { name: 'bens.txt' });

    const seen: Array<{ name: string; status: string }> = [];
    let cursor: string | null = null;
    do {
      const page = await list(
        ana.accessToken,
        `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(page.status).toBe(200);
      expect(page.body).toMatchObject({ usedBytes: 19, reservedBytes: 100, quotaBytes: 5000 });
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen.map((file) => file.name)).toEqual([
      'pending.txt',
      ...[...names].reverse().map((n) => `${n}.txt`),
    ]);
    expect(seen[0]?.status).toBe('pending');
  });

  it('pages exactly once through files stored within one millisecond', async () => {
    const ana = await registerAccount(server());
    const ids: string[] = [];
    for (let index = 0; index < 5; index++)
      ids.push((await uploadFile(server(), ana, { name: `${index}.txt` })).id);
    const { db } = await server().server.platform.database();
    for (const [index, id] of ids.entries()) {
      // Microseconds apart: a cursor that kept only milliseconds would lose or repeat some.
      await sql`update files set created_at = ${`2026-01-01 00:00:00.000${index + 1}00+00`}::timestamptz where id = ${id}`.execute(
        db,
      );
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(
        ana.accessToken,
        `?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      seen.push(...page.body.items.map((file: { id: string }) => file.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('starts everyone at zero and refuses foreign cursors and bad limits', async () => {
    const ana = await registerAccount(server());
    expect((await list(ana.accessToken)).body).toEqual({
      items: [],
      nextCursor: null,
      usedBytes: 0,
      reservedBytes: 0,
      quotaBytes: 5000,
    });
    for (const query of ['?cursor=bogus', '?cursor=eyJ4IjoxfQ', '?limit=0', '?limit=101']) {
      const response = await list(ana.accessToken, query);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
    }
    for (const position of [
      { at: 'yesterday', id: crypto.randomUUID() },
      { at: '2026-01-01 00:00:00+00', id: 'x' },
      { createdAt: '2026-01-01 00:00:00+00', id: crypto.randomUUID() },
    ]) {
      const forged = Buffer.from(JSON.stringify(position)).toString('base64url');
      expect((await list(ana.accessToken, `?cursor=${forged}`)).status).toBe(400);
    }
  });
});
