import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup, openDirect } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const update = (token: string, id: string, body: unknown) =>
  server().request('PATCH', `/v1/conversations/${id}`, { token, body });

describe('conversations-update', () => {
  it('lets admins change settings and records a conversation.updated event', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const response = await update(ana.accessToken, group.id, {
      title: 'Renamed',
      aiEnabled: true,
      retentionDays: 30,
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ title: 'Renamed', aiEnabled: true, retentionDays: 30, lastSeq: 1 });
    const events = await server().request('GET', `/v1/conversations/${group.id}/events`, {
      token: ben.accessToken,
    });
    expect(events.body.items).toEqual([
      expect.objectContaining({
        seq: 1,
        event: 'conversation.updated',
        actorId: ana.id,
        data: expect.objectContaining({ title: 'Renamed' }),
      }),
    ]);
  });

  it('refuses plain members, E2EE downgrades and titles on direct conversations', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    expect((await update(ben.accessToken, group.id, { title: 'Mine now' })).status).toBe(403);
    expect((await update(ana.accessToken, group.id, { e2ee: true })).status).toBe(200);
    expect((await update(ana.accessToken, group.id, { e2ee: false })).status).toBe(409);
    const direct = await openDirect(server(), ana, ben);
    expect((await update(ben.accessToken, direct.id, { title: 'x' })).status).toBe(422);
    expect((await update(ben.accessToken, direct.id, { e2ee: true })).status).toBe(200);
  });

  it('validates the body', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    expect((await update(ana.accessToken, group.id, {})).status).toBe(400);
    expect((await update(ana.accessToken, group.id, { retentionDays: 0 })).body.errors[0].field).toBe(
      'body.retentionDays',
    );
  });
});
