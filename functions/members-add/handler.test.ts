import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup, openDirect } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer({ GROUP_MAX_MEMBERS: '4' });
const add = (token: string, id: string, userIds: string[]) =>
  server().request('POST', `/v1/conversations/${id}/members`, { token, body: { userIds } });

describe('members-add', () => {
  it('adds new members, skips present ones, and records member.added', async () => {
    const [ana, ben, cy] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const group = await createGroup(server(), ana, [ben]);
    const response = await add(ana.accessToken, group.id, [ben.id, cy.id]);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ added: [cy.id] });
    expect(
      (await server().request('GET', `/v1/conversations/${group.id}`, { token: cy.accessToken })).status,
    ).toBe(200);
    const events = await server().request('GET', `/v1/conversations/${group.id}/events`, {
      token: cy.accessToken,
    });
    expect(events.body.items.at(-1)).toMatchObject({ event: 'member.added', data: { userIds: [cy.id] } });
  });

  it('is for admins of groups, within the size limit', async () => {
    const [ana, ben, ...others] = await Promise.all([1, 2, 3, 4, 5].map(() => registerAccount(server())));
    const group = await createGroup(server(), ana!, [ben!]);
    expect((await add(ben!.accessToken, group.id, [others[0]!.id])).status).toBe(403);
    expect(
      (
        await add(
          ana!.accessToken,
          group.id,
          others.map((other) => other.id),
        )
      ).status,
    ).toBe(422);
    const direct = await openDirect(server(), ana!, ben!);
    expect((await add(ana!.accessToken, direct.id, [others[0]!.id])).status).toBe(422);
    expect((await add(ana!.accessToken, group.id, [crypto.randomUUID()])).status).toBe(422);
  });
});
