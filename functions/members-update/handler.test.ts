import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const update = (token: string, id: string, userId: string, body: unknown) =>
  server().request('PATCH', `/v1/conversations/${id}/members/${userId}`, { token, body });

describe('members-update', () => {
  it('lets owners and admins change roles; only owners touch ownership', async () => {
    const [ana, ben, cy] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const group = await createGroup(server(), ana, [ben, cy]);
    expect((await update(ana.accessToken, group.id, ben.id, { role: 'admin' })).body).toMatchObject({
      role: 'admin',
    });
    expect((await update(ben.accessToken, group.id, cy.id, { role: 'admin' })).status).toBe(200);
    expect((await update(ben.accessToken, group.id, cy.id, { role: 'owner' })).status).toBe(403);
    expect((await update(ben.accessToken, group.id, ana.id, { role: 'member' })).status).toBe(403);
    expect((await update(cy.accessToken, group.id, ben.id, { role: 'member' })).status).toBe(200);
    const plain = await registerAccount(server());
    await server().request('POST', `/v1/conversations/${group.id}/members`, {
      token: ana.accessToken,
      body: { userIds: [plain.id] },
    });
    expect((await update(plain.accessToken, group.id, cy.id, { role: 'member' })).status).toBe(403);
  });

  it('keeps at least one owner', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    expect((await update(ana.accessToken, group.id, ana.id, { role: 'member' })).status).toBe(409);
    expect((await update(ana.accessToken, group.id, ben.id, { role: 'owner' })).status).toBe(200);
    expect((await update(ana.accessToken, group.id, ana.id, { role: 'member' })).status).toBe(200);
  });

  it('lets members mute for themselves only', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const until = new Date(Date.now() + 3600_000).toISOString();
    const muted = await update(ben.accessToken, group.id, ben.id, { mutedUntil: until });
    expect(muted.status).toBe(200);
    expect(muted.body.mutedUntil).toBe(until);
    expect(
      (await server().request('GET', `/v1/conversations/${group.id}`, { token: ben.accessToken })).body
        .mutedUntil,
    ).toBe(until);
    expect((await update(ana.accessToken, group.id, ben.id, { mutedUntil: until })).status).toBe(403);
  });

  it('validates the body', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    expect((await update(ana.accessToken, group.id, ben.id, { role: 'god' })).status).toBe(400);
    expect(
      (await update(ana.accessToken, group.id, ben.id, { role: 'admin', mutedUntil: null })).status,
    ).toBe(400);
    expect((await update(ben.accessToken, group.id, ben.id, { mutedUntil: 'tomorrow' })).status).toBe(400);
  });
});
