import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup, openDirect } from '../../tests/support/conversations';
import { createPoll, pollSnapshots } from '../../tests/support/polls';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const close = (token: string, pollId: string) =>
  server().request('POST', `/v1/polls/${pollId}/close`, { token });

describe('polls-close', () => {
  it('closes for the creator, once, and records it in the log', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    const poll = await createPoll(server(), ana, group.id);
    const response = await close(ana.accessToken, poll.id);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ closed: true, closedAt: expect.any(String), version: 2 });
    const again = await close(ana.accessToken, poll.id);
    expect(again.body).toMatchObject({ version: 2, closedAt: response.body.closedAt });
    const snapshots = await pollSnapshots(server(), ana, group.id, poll.id);
    expect(snapshots.map((s) => [s.version, (s as { closed?: boolean }).closed])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it("lets a group admin close a member's poll; not another member", async () => {
    const [owner, admin, member, other] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const group = await createGroup(server(), owner, [admin, member, other]);
    await server().request('PATCH', `/v1/conversations/${group.id}/members/${admin.id}`, {
      token: owner.accessToken,
      body: { role: 'admin' },
    });
    const poll = await createPoll(server(), member, group.id);
    const refused = await close(other.accessToken, poll.id);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await close(admin.accessToken, poll.id)).body.closed).toBe(true);
  });

  it('in a direct conversation only the creator closes; strangers get 404', async () => {
    const [ana, ben, eve] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const direct = await openDirect(server(), ana, ben);
    const poll = await createPoll(server(), ana, direct.id);
    expect((await close(ben.accessToken, poll.id)).status).toBe(403);
    expect((await close(eve.accessToken, poll.id)).status).toBe(404);
    expect((await close(ana.accessToken, crypto.randomUUID())).status).toBe(404);
    expect((await close(ana.accessToken, poll.id)).status).toBe(200);
  });
});
