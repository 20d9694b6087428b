import { RealtimeClient, SecureConnectClient, type TokenPair } from '@secureconnect/client';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { TestServer } from '../../shared/src/testing/test-server';
import { FAST_BACKOFF, Recorder, registerUser, startSdkDevServer, WAIT } from '../support/sdk';

let server: TestServer;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  ({ server } = await startSdkDevServer());
});
afterAll(async () => {
  for (const client of clients) client.close();
  await server?.close();
});

it('a socket refused for its access token (4401) renews the tokens through the REST client and connects', async () => {
  const user = await registerUser(server.url, 'Renewed');
  const sender = await registerUser(server.url, 'Sender');
  const direct = (await sender.client.conversations.create({ type: 'direct', userId: user.id })).id;
  const handed: (TokenPair | null)[] = [];
  const client = new SecureConnectClient({
    baseUrl: server.url,
    // What an app holds after its access token expired: the refresh token still works.
    tokens: {
      accessToken: 'expired.access.token',
      refreshToken: (user.client.tokens as TokenPair).refreshToken,
    },
    onTokens: (tokens) => handed.push(tokens),
  });
  const realtime = new RealtimeClient(client, { WebSocket, backoff: FAST_BACKOFF });
  clients.push(realtime);
  const recorder = new Recorder(realtime);

  await realtime.connect();
  expect(handed).toHaveLength(1);
  expect(recorder.states.filter((state) => state === 'reconnecting')).toHaveLength(1);
  await sender.client.messages.send(direct, { body: 'after the renewal' });
  await vi.waitFor(() => expect(recorder.bodies(direct)).toEqual(['after the renewal']), WAIT);
});

it('stops for good, saying why, when the refresh is refused too: the session has ended', async () => {
  const user = await registerUser(server.url, 'Ended');
  const spent = (user.client.tokens as TokenPair).refreshToken;
  await user.client.auth.refresh();
  const client = new SecureConnectClient({
    baseUrl: server.url,
    tokens: { accessToken: 'expired.access.token', refreshToken: spent },
  });
  const realtime = new RealtimeClient(client, { WebSocket, backoff: FAST_BACKOFF });
  clients.push(realtime);
  const errors: unknown[] = [];
  realtime.on('error', (error) => errors.push(error));

  await expect(realtime.connect()).rejects.toMatchObject({ status: 401 });
  expect(realtime.state).toBe('closed');
  expect(errors).toEqual([expect.objectContaining({ status: 401 })]);
  expect(client.tokens).toBeUndefined();
});

it('a socket whose session is revoked elsewhere is closed (4401), and stops once the refresh is refused', async () => {
  const user = await registerUser(server.url, 'Revoked');
  const elsewhere = new SecureConnectClient({ baseUrl: server.url });
  await elsewhere.auth.login({ email: user.email, password: user.password });
  const realtime = new RealtimeClient(user.client, { WebSocket, backoff: FAST_BACKOFF });
  clients.push(realtime);
  const errors: unknown[] = [];
  realtime.on('error', (error) => errors.push(error));
  await realtime.connect();

  // A password change from another device ends every other session, this one included.
  await elsewhere.users.changePassword({
    currentPassword: user.password,
    newPassword: 'a brand new passphrase',
  });

  await vi.waitFor(() => expect(realtime.state).toBe('closed'), WAIT);
  expect(errors).toEqual([expect.objectContaining({ status: 401 })]);
  expect(user.client.tokens).toBeUndefined();
});
