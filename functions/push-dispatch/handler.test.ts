import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup, sendMessage } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

// Without FCM or APNs credentials, notifications go to the log: what is dispatched is the point.
const server = useServer();
const dispatch = (body: unknown) => server().request('POST', '/function/push-dispatch', { body });

describe('push-dispatch', () => {
  it("notifies every device of the message's offline members but the author, and reports it", async () => {
    const [ana, ben, cid] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const group = await createGroup(server(), ana, [ben, cid]);
    for (const [account, token] of [
      [ana, 'ana-phone'],
      [ben, 'ben-phone'],
      [ben, 'ben-tablet'],
    ] as const) {
      await server().request('POST', '/v1/push/devices', {
        token: account.accessToken,
        body: { platform: 'fcm', token },
      });
    }
    const message = await sendMessage(server(), ana, group.id, 'hello');
    const response = await dispatch({ kind: 'message', conversationId: group.id, messageId: message.id });
    expect(response.status).toBe(200);
    // Cid has no device; Ana wrote it.
    expect(response.body).toEqual({ members: 1, notified: 1, sent: 2, failed: 0, removed: 0 });
  });

  it('announces nothing for a deleted message or an ended call', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    await server().request('POST', '/v1/push/devices', {
      token: ben.accessToken,
      body: { platform: 'apns', token: 'c'.repeat(64) },
    });
    const message = await sendMessage(server(), ana, group.id, 'oops');
    await server().request('DELETE', `/v1/conversations/${group.id}/messages/${message.id}`, {
      token: ana.accessToken,
    });
    const response = await dispatch({ kind: 'message', conversationId: group.id, messageId: message.id });
    expect(response.body).toMatchObject({ sent: 0 });
    const call = await dispatch({ kind: 'call', conversationId: group.id, callId: crypto.randomUUID() });
    expect(call.body).toMatchObject({ sent: 0 });
  });

  it('refuses malformed jobs, and is internal: not served under a public path', async () => {
    expect((await dispatch({ kind: 'email', conversationId: crypto.randomUUID() })).status).toBe(400);
    expect((await dispatch({ kind: 'message', conversationId: 'x', messageId: 'y' })).status).toBe(400);
    expect((await server().request('POST', '/v1/push-dispatch', { body: {} })).status).toBe(404);
  });
});
