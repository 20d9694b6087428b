import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { registerAdmin } from '../../tests/support/admin';
import { createGroup, openDirect, sendMessage } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const stats = async (token: string) => {
  const response = await server().request('GET', '/v1/admin/stats', { token });
  expect(response.status).toBe(200);
  return response.body;
};
const today = () => new Date().toISOString().slice(0, 10);

describe('admin-stats', () => {
  it('counts users by status, conversations by type and the messages of each of the last 30 days', async () => {
    const admin = await registerAdmin(server());
    const before = await stats(admin.accessToken);
    expect(before.messagesPerDay).toHaveLength(30);
    expect(before.messagesPerDay.at(-1).day).toBe(today());
    expect(before.messagesPerDay.every((day: { count: number }) => day.count >= 0)).toBe(true);

    const [alice, bob, carol] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    await server().request('POST', `/v1/admin/users/${carol.id}/ban`, { token: admin.accessToken, body: {} });
    const group = await createGroup(server(), alice, [bob]);
    const direct = await openDirect(server(), alice, bob);
    for (const conversationId of [group.id, group.id, direct.id])
      await sendMessage(server(), alice, conversationId);

    const after = await stats(admin.accessToken);
    expect(after.users).toEqual({
      total: before.users.total + 3,
      active: before.users.active + 2,
      banned: before.users.banned + 1,
      deleted: before.users.deleted,
    });
    expect(after.conversations).toEqual({
      total: before.conversations.total + 2,
      direct: before.conversations.direct + 1,
      group: before.conversations.group + 1,
    });
    expect(after.messagesPerDay.at(-1)).toEqual({
      day: today(),
      count: before.messagesPerDay.at(-1).count + 3,
    });
    expect(after.messagesPerDay.slice(0, -1)).toEqual(before.messagesPerDay.slice(0, -1));
  });

  it('answers only admins', async () => {
    const user = await registerAccount(server());
    expect((await server().request('GET', '/v1/admin/stats', { token: user.accessToken })).status).toBe(403);
    expect((await server().request('GET', '/v1/admin/stats')).status).toBe(401);
  });
});
