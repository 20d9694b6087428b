import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../shared/src/testing/test-server';
import { registerUser, startSdkDevServer } from '../../tests/support/sdk';
import { SecureConnectClient } from '../src/client';
import { SecureConnectError } from '../src/errors';
import type { TokenPair } from '../src/types';

let server: TestServer;
beforeAll(async () => {
  ({ server } = await startSdkDevServer({ LOCKOUT_THRESHOLD: '3' }));
});
afterAll(() => server?.close());

/** The error a call rejected with. */
async function failure(call: Promise<unknown>): Promise<SecureConnectError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof SecureConnectError)) throw new Error(`expected a SecureConnectError, got ${error}`);
  return error;
}

/**
 * A client whose access token the server refuses (as after expiry) but whose refresh token is
 * good, recording every pair it is handed.
 */
async function clientWithStaleToken() {
  const user = await registerUser(server.url, 'Stale');
  const good = user.client.tokens as TokenPair;
  const handed: (TokenPair | null)[] = [];
  const client = new SecureConnectClient({
    baseUrl: server.url,
    tokens: { accessToken: 'expired.access.token', refreshToken: good.refreshToken },
    onTokens: (tokens) => handed.push(tokens),
  });
  return { user, client, handed };
}

describe('errors', () => {
  it('carry the problem document: status, type, title, detail and field errors', async () => {
    const client = new SecureConnectClient({ baseUrl: server.url });
    const error = await failure(
      client.auth.register({ email: 'not an email', password: 'short', displayName: 'X' }),
    );
    expect(error).toMatchObject({ status: 400, title: 'Bad Request' });
    expect(error.type).toMatch(/^https:\/\/secureconnect\.dev\/problems\//);
    expect(error.detail).toEqual(expect.any(String));
    expect(error.errors?.map((fieldError) => fieldError.field).sort()).toEqual([
      'body.email',
      'body.password',
    ]);
  });

  it('carry Retry-After in seconds when the server rate limits or locks out', async () => {
    const user = await registerUser(server.url, 'Locked');
    const client = new SecureConnectClient({ baseUrl: server.url });
    for (let attempt = 0; attempt < 3; attempt++)
      expect(
        (await failure(client.auth.login({ email: user.email, password: 'wrong password' }))).status,
      ).toBe(401);
    const locked = await failure(client.auth.login({ email: user.email, password: user.password }));
    expect(locked.status).toBe(429);
    expect(locked.retryAfter).toBeGreaterThan(0);
  });
});

describe('tokens', () => {
  it('a refused access token is refreshed once, however many calls it failed at the same time', async () => {
    const { user, client, handed } = await clientWithStaleToken();
    const answers = await Promise.all(Array.from({ length: 10 }, () => client.users.me()));
    expect(answers.map((me) => me.id)).toEqual(Array(10).fill(user.id));
    // One refresh: a second one would have presented a spent refresh token and ended the session.
    expect(handed).toHaveLength(1);
    expect(client.tokens).toEqual(handed[0]);
    await client.auth.refresh();
    expect((await client.users.me()).id).toBe(user.id);
  });

  it('a send retried after a refresh is still one message (the SDK chose its clientMessageId)', async () => {
    const { user, client } = await clientWithStaleToken();
    const group = await user.client.conversations.create({ type: 'group', title: 'Retry' });
    const sent = await client.messages.send(group.id, { body: 'only once' });
    expect(sent.clientMessageId).toMatch(/^[0-9a-f-]{36}$/);
    const messages = await user.client.messages.list(group.id);
    expect(messages.items.map((message) => message.id)).toEqual([sent.id]);
  });

  it('a refused refresh ends the session here too: tokens forgotten, onTokens(null)', async () => {
    const { user, client, handed } = await clientWithStaleToken();
    // Another holder of the same refresh token uses it first: ours is now a spent token.
    await user.client.auth.refresh();
    const error = await failure(client.users.me());
    expect(error.status).toBe(401);
    expect(handed).toEqual([null]);
    expect(client.tokens).toBeUndefined();
    expect((await failure(client.users.me())).detail).toMatch(/Not logged in/);
  });

  it('logout ends the session on the server and forgets it here', async () => {
    const handed: (TokenPair | null)[] = [];
    const client = new SecureConnectClient({
      baseUrl: server.url,
      onTokens: (tokens) => handed.push(tokens),
    });
    await client.auth.register({
      email: `logout-${crypto.randomUUID()}@example.test`,
      password: 'a long passphrase',
      displayName: 'Leaving',
    });
    const session = client.tokens as TokenPair;
    await client.auth.logout();
    expect(handed).toEqual([session, null]);
    const revoked = new SecureConnectClient({ baseUrl: server.url, tokens: session });
    expect((await failure(revoked.users.me())).status).toBe(401);
  });
});
