import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer();

describe('conversations-get', () => {
  it('returns the conversation with its members and the caller’s role', async () => {
    const [ana, ben] = [
      await registerAccount(server(), { displayName: 'Ana' }),
      await registerAccount(server(), { displayName: 'Ben' }),
    ];
    const group = await createGroup(server(), ana, [ben], 'Plans');
    const response = await server().request('GET', `/v1/conversations/${group.id}`, {
      token: ben.accessToken,
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: group.id, title: 'Plans', role: 'member', memberCount: 2 });
    expect(response.body.members.map((member: { displayName: string }) => member.displayName)).toEqual([
      'Ana',
      'Ben',
    ]);
  });

  it('answers 404 to non-members and 400 to malformed ids', async () => {
    const [ana, cy] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, []);
    expect(
      (await server().request('GET', `/v1/conversations/${group.id}`, { token: cy.accessToken })).status,
    ).toBe(404);
    expect(
      (await server().request('GET', '/v1/conversations/not-a-uuid', { token: cy.accessToken })).status,
    ).toBe(400);
  });
});
