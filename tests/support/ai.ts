import { afterAll, beforeAll } from 'vitest';
import { loadFunctions } from '../../scripts/lib/function-catalog';
import type { TestAccount } from '../../shared/src/testing/accounts';
import { startOpenAi, type TestOpenAi } from '../../shared/src/testing/openai';
import { startTestServer, type TestServer } from '../../shared/src/testing/test-server';

/** The AI deadline of test servers: short enough to wait out, long enough for a loaded machine. */
export const AI_TIMEOUT_MS = 1500;

/**
 * One server with every function for the enclosing test file, its AI pointed at a local
 * OpenAI-compatible server (see startOpenAi), log lines kept. Getters, as with useServer.
 */
export function useAiServer(env: Record<string, string> = {}): {
  server: () => TestServer;
  ai: () => TestOpenAi;
} {
  let server: TestServer | undefined;
  let ai: TestOpenAi | undefined;
  beforeAll(async () => {
    ai = await startOpenAi();
    server = await startTestServer({
      functions: await loadFunctions(),
      env: { ...ai.env(), AI_TIMEOUT_MS: String(AI_TIMEOUT_MS), LOG_LEVEL: 'info', ...env },
      captureLogs: true,
    });
  });
  afterAll(async () => {
    await server?.close();
    await ai?.close();
  });
  return {
    server: () => {
      if (!server) throw new Error('the test server is not running');
      return server;
    },
    ai: () => {
      if (!ai) throw new Error('the fake AI server is not running');
      return ai;
    },
  };
}

/** Turns the account's AI opt-in on (or off) through the API. */
export async function optIn(server: TestServer, account: TestAccount, enabled = true): Promise<void> {
  const response = await server.request('PATCH', '/v1/users/me/ai-settings', {
    token: account.accessToken,
    body: { enabled },
  });
  if (response.status !== 200)
    throw new Error(`ai-settings-update failed: ${response.status} ${JSON.stringify(response.body)}`);
}

/** A group owned by `owner` with AI helpers turned on (`aiEnabled`), as its admins would. */
export async function aiGroup(server: TestServer, owner: TestAccount, members: TestAccount[], e2ee = false) {
  const response = await server.request('POST', '/v1/conversations', {
    token: owner.accessToken,
    body: { type: 'group', title: 'AI group', memberIds: members.map((member) => member.id), e2ee },
  });
  if (response.status !== 201)
    throw new Error(`group create failed: ${response.status} ${JSON.stringify(response.body)}`);
  const group = response.body as { id: string };
  const enabled = await server.request('PATCH', `/v1/conversations/${group.id}`, {
    token: owner.accessToken,
    body: { aiEnabled: true },
  });
  if (enabled.status !== 200)
    throw new Error(`aiEnabled failed: ${enabled.status} ${JSON.stringify(enabled.body)}`);
  return group;
}

/** POSTs to one of the AI operations of a conversation (`summary` or `replies`) as `caller`. */
export function askAi(
  server: TestServer,
  caller: TestAccount,
  conversationId: string,
  what: 'summary' | 'replies',
) {
  return server.request('POST', `/v1/conversations/${conversationId}/ai/${what}`, {
    token: caller.accessToken,
  });
}
