import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup, openDirect } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer({ RATE_LIMIT_SEND_MESSAGE: '20/60', MESSAGE_MAX_BYTES: '1024' });
const send = (token: string, id: string, body: unknown) =>
  server().request('POST', `/v1/conversations/${id}/messages`, { token, body });

describe('messages-send', () => {
  it('stores the message under the next seq and returns it', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const response = await send(ana.accessToken, group.id, { clientMessageId: 'c-1', body: 'hello' });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      conversationId: group.id,
      seq: 1,
      senderId: ana.id,
      clientMessageId: 'c-1',
      body: 'hello',
      editedAt: null,
      deletedAt: null,
      reactions: {},
    });
    const reply = await send(ben.accessToken, group.id, {
      clientMessageId: 'c-2',
      body: 'hi',
      replyToId: response.body.id,
    });
    expect(reply.body).toMatchObject({ seq: 2, replyToId: response.body.id });
  });

  it("moves the sender's read pointer past their message and previews it; a retry changes neither", async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const group = await createGroup(server(), ana, [ben]);
    const detail = (token: string) => server().request('GET', `/v1/conversations/${group.id}`, { token });
    await send(ana.accessToken, group.id, { clientMessageId: 'p-1', body: 'first' });
    await send(ben.accessToken, group.id, { clientMessageId: 'p-2', body: 'second' });
    expect((await detail(ben.accessToken)).body).toMatchObject({
      lastSeq: 2,
      readSeq: 2,
      lastMessage: { senderId: ben.id, preview: 'second' },
    });
    expect((await detail(ana.accessToken)).body).toMatchObject({ readSeq: 1, unreadCount: 1 });
    // A retry of the older send answers it again and moves nothing.
    expect((await send(ana.accessToken, group.id, { clientMessageId: 'p-1', body: 'first' })).status).toBe(
      200,
    );
    expect((await detail(ana.accessToken)).body).toMatchObject({
      readSeq: 1,
      lastMessage: { senderId: ben.id, preview: 'second' },
    });
  });

  it('is idempotent by clientMessageId, even when retried concurrently', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    const responses = await Promise.all(
      [1, 2, 3].map(() => send(ana.accessToken, group.id, { clientMessageId: 'same', body: 'once' })),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([200, 200, 201]);
    expect(new Set(responses.map((response) => response.body.id)).size).toBe(1);
    const list = await server().request('GET', `/v1/conversations/${group.id}/messages`, {
      token: ana.accessToken,
    });
    expect(list.body.items).toHaveLength(1);
    expect(list.body.lastSeq).toBe(1);
  });

  it('keeps E2EE bodies opaque: stored and returned byte for byte', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const created = await server().request('POST', '/v1/conversations', {
      token: ana.accessToken,
      body: { type: 'group', title: 'S', memberIds: [ben.id], e2ee: true },
    });
    const ciphertext = 'AwEAAQ+9sG1hc2tlZCBjaXBoZXJ0ZXh0/w==';
    await send(ana.accessToken, created.body.id, { clientMessageId: 'e-1', body: ciphertext });
    const list = await server().request('GET', `/v1/conversations/${created.body.id}/messages`, {
      token: ben.accessToken,
    });
    expect(list.body.items[0].body).toBe(ciphertext);
  });

  it('refuses oversize bodies, unknown replies, foreign attachments and bad input', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    expect(
      (await send(ana.accessToken, group.id, { clientMessageId: 'big', body: 'x'.repeat(1025) })).status,
    ).toBe(413);
    expect(
      (
        await send(ana.accessToken, group.id, {
          clientMessageId: 'r',
          body: 'x',
          replyToId: crypto.randomUUID(),
        })
      ).status,
    ).toBe(422);
    expect(
      (
        await send(ana.accessToken, group.id, {
          clientMessageId: 'a',
          body: 'x',
          attachmentFileIds: [crypto.randomUUID()],
        })
      ).status,
    ).toBe(422);
    const invalid = await send(ana.accessToken, group.id, { clientMessageId: 'has spaces', body: '' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((error: { field: string }) => error.field).sort()).toEqual([
      'body.body',
      'body.clientMessageId',
    ]);
    // JSON.stringify escapes the unpaired surrogate: valid JSON, but not text the log can store.
    const surrogate = await send(ana.accessToken, group.id, { clientMessageId: 'u', body: 'a\ud800b' });
    expect(surrogate.status).toBe(400);
    expect(surrogate.body.type).toMatch(/invalid-unicode$/);
  });

  it('stops messages both ways across a block in a direct conversation', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const direct = await openDirect(server(), ana, ben);
    expect((await send(ben.accessToken, direct.id, { clientMessageId: 'b-1', body: 'hey' })).status).toBe(
      201,
    );
    await server().request('PUT', `/v1/users/${ben.id}/block`, { token: ana.accessToken });
    expect((await send(ben.accessToken, direct.id, { clientMessageId: 'b-2', body: 'hey?' })).status).toBe(
      403,
    );
    expect((await send(ana.accessToken, direct.id, { clientMessageId: 'a-1', body: 'bye' })).status).toBe(
      403,
    );
    await server().request('DELETE', `/v1/users/${ben.id}/block`, { token: ana.accessToken });
    expect(
      (await send(ben.accessToken, direct.id, { clientMessageId: 'b-3', body: 'hey again' })).status,
    ).toBe(201);
  });

  it('rate-limits senders', async () => {
    const ana = await registerAccount(server());
    const group = await createGroup(server(), ana, []);
    const statuses = [];
    for (let index = 0; index < 21; index++)
      statuses.push(
        (await send(ana.accessToken, group.id, { clientMessageId: `m-${index}`, body: 'spam' })).status,
      );
    expect(statuses.slice(0, 20).every((status) => status === 201)).toBe(true);
    expect(statuses[20]).toBe(429);
  });
});
