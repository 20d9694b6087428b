import type { TestAccount } from '../../shared/src/testing/accounts';
import type { TestServer } from '../../shared/src/testing/test-server';
import { openDirect } from './conversations';

/** The direct conversation of two users and a call the first started in it (P2P unless LiveKit is configured). */
export async function startDirectCall(server: TestServer, caller: TestAccount, callee: TestAccount) {
  const direct = await openDirect(server, caller, callee);
  const started = await server.request('POST', `/v1/conversations/${direct.id}/calls`, {
    token: caller.accessToken,
    body: {},
  });
  if (started.status !== 201)
    throw new Error(`call start failed: ${started.status} ${JSON.stringify(started.body)}`);
  return { direct, ticket: started.body as { callId: string; iceServers: Array<{ username?: string }> } };
}
