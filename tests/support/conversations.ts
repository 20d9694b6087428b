import type { TestAccount } from '../../shared/src/testing/accounts';
import type { TestServer } from '../../shared/src/testing/test-server';

/** A group owned by `owner` with `members`, created through the API. */
export async function createGroup(
  server: TestServer,
  owner: TestAccount,
  members: TestAccount[],
  title = 'Test group',
) {
  const response = await server.request('POST', '/v1/conversations', {
    token: owner.accessToken,
    body: { type: 'group', title, memberIds: members.map((member) => member.id) },
  });
  if (response.status !== 201)
    throw new Error(`group create failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { id: string; lastSeq: number };
}

/** The direct conversation between two users, created (or found) through the API. */
export async function openDirect(server: TestServer, from: TestAccount, to: TestAccount) {
  const response = await server.request('POST', '/v1/conversations', {
    token: from.accessToken,
    body: { type: 'direct', userId: to.id },
  });
  if (response.status !== 201 && response.status !== 200) {
    throw new Error(`direct create failed: ${response.status} ${JSON.stringify(response.body)}`);
  }
  return response.body as { id: string };
}

let counter = 0;

/** Sends a text message through the API and returns it. */
export async function sendMessage(
  server: TestServer,
  sender: TestAccount,
  conversationId: string,
  body = `message ${++counter}`,
) {
  const response = await server.request('POST', `/v1/conversations/${conversationId}/messages`, {
    token: sender.accessToken,
    body: { clientMessageId: crypto.randomUUID(), body },
  });
  if (response.status !== 201)
    throw new Error(`send failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { id: string; seq: number; body: string };
}
