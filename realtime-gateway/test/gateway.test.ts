import { AccessTokens } from '@secureconnect/shared/auth/access-tokens';
import { loadSigningKeys } from '@secureconnect/shared/auth/signing-keys';
import { encodeEventFrame } from '@secureconnect/shared/messaging/events';
import { conversationChannel, type UserSignal, userChannel } from '@secureconnect/shared/realtime/event-bus';
import { registerAccount, type TestAccount } from '@secureconnect/shared/testing/accounts';
import { metricValue } from '@secureconnect/shared/testing/observability';
import type { TestServer } from '@secureconnect/shared/testing/test-server';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CloseCode } from '../src/protocol';
import { addMember, createConversation, settle, startRealtimeTestServer, TestClient, WAIT } from './support';

const AUTH_TIMEOUT_MS = 300;

let server: TestServer;
const clients: TestClient[] = [];

beforeAll(async () => {
  server = await startRealtimeTestServer({ REALTIME_AUTH_TIMEOUT_MS: String(AUTH_TIMEOUT_MS) });
});
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
});
afterAll(() => server?.close());

const platform = () => server.server.platform;

async function connect(account?: TestAccount): Promise<TestClient> {
  const client = account ? await TestClient.ready(server, account) : await TestClient.connect(server);
  clients.push(client);
  return client;
}

async function publish(channel: string, payload: string): Promise<void> {
  await (await platform().eventBus()).publish(channel, payload);
}

function eventFrame(conversationId: string, seq: number, text = `message ${seq}`): string {
  return encodeEventFrame({
    conversationId,
    seq,
    type: 'message.created',
    actorId: null,
    data: { text },
    createdAt: new Date(),
  });
}

const signal = (userId: string, body: UserSignal) => publish(userChannel(userId), JSON.stringify(body));

describe('authentication', () => {
  it('answers an auth frame within the deadline with ready: the user and the conversations subscribed', async () => {
    const ann = await registerAccount(server);
    const conversationId = await createConversation(platform(), [ann.id]);
    const client = await connect(ann);
    const [ready] = client.ofType('ready');
    expect(ready).toEqual({ type: 'ready', userId: ann.id, conversationIds: [conversationId] });
    expect(client.raw[0]).toContain('"type":"ready"');
  });

  it('closes a socket that sends no auth frame with 4408 once the auth timeout passes', async () => {
    const client = await connect();
    expect(await client.closed).toMatchObject({ code: CloseCode.authTimeout });
  });

  it.each([
    ['a forged token', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.'],
    ['garbage', 'not-a-token'],
  ])('closes with 4401 for %s', async (_name, token) => {
    const client = await connect();
    client.send({ type: 'auth', token });
    expect(await client.closed).toMatchObject({ code: CloseCode.unauthorized });
  });

  it('closes with 4401 for a token signed by another key', async () => {
    const other = await startRealtimeTestServer();
    try {
      const stranger = await registerAccount(other);
      const client = await connect();
      client.send({ type: 'auth', token: stranger.accessToken });
      expect(await client.closed).toMatchObject({ code: CloseCode.unauthorized });
    } finally {
      await other.close();
    }
  });

  it('closes with 4401 for a token whose session has ended (logout)', async () => {
    const ann = await registerAccount(server);
    expect((await server.request('POST', '/v1/auth/logout', { token: ann.accessToken })).status).toBe(204);
    const client = await connect();
    client.send({ type: 'auth', token: ann.accessToken });
    expect(await client.closed).toMatchObject({ code: CloseCode.unauthorized });
  });

  /** A token of the account's live session that lives `ttlSeconds`, signed with the server's own key. */
  async function tokenLiving(account: TestAccount, ttlSeconds: number): Promise<string> {
    const { config } = platform();
    const tokens = new AccessTokens({
      keys: await loadSigningKeys({ dataDir: config.DATA_DIR, needPrivateKey: true }),
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ttlSeconds,
    });
    const { sessionId } = await (await platform().accessTokens()).verify(account.accessToken);
    return (await tokens.issue({ userId: account.id, sessionId, role: 'user' })).token;
  }

  it('closes with 4401 when the access token expires while connected, and refuses it once expired', async () => {
    const ann = await registerAccount(server);
    const token = await tokenLiving(ann, 1);

    const client = await connect({ ...ann, accessToken: token });
    expect(await client.closed).toMatchObject({ code: CloseCode.unauthorized });
    // Past the verifier's clock tolerance (5 s) the token itself is refused.
    await new Promise((resolve) => setTimeout(resolve, 6500));
    const late = await connect();
    late.send({ type: 'auth', token });
    expect(await late.closed).toMatchObject({ code: CloseCode.unauthorized });
  });

  it('keeps a socket open past its token expiry after a re-auth frame with a later token, and closes it at that one', async () => {
    const ann = await registerAccount(server);
    const [first, renewed] = await Promise.all([tokenLiving(ann, 1), tokenLiving(ann, 6)]);
    const client = await connect({ ...ann, accessToken: first });
    client.send({ type: 'auth', token: renewed });
    const renewedExpiresAt = Math.floor(Date.now() / 1000 + 6) * 1000;

    // The first token expired at most 1 s in, and expiries are acted on within 2 s of the deadline.
    await new Promise((resolve) => setTimeout(resolve, 3200));
    client.send({ type: 'ping' });
    await client.next((frame) => frame.type === 'pong');

    expect(await client.closed).toEqual({ code: CloseCode.unauthorized, reason: 'access token expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(renewedExpiresAt - 1000);
  }, 15_000);

  it('refuses a token past its expiry but within the clock tolerance, and never counts its user as connected', async () => {
    const [ann, bob] = await Promise.all([1, 2].map(() => registerAccount(server)));
    if (!ann || !bob) throw new Error('accounts');
    await createConversation(platform(), [ann.id, bob.id]);
    const bobClient = await connect(bob);
    const token = await tokenLiving(ann, 1);
    // Expired, but within the verifier's 5 s clock tolerance.
    await new Promise((resolve) => setTimeout(resolve, 2000));

    const client = await connect();
    client.send({ type: 'auth', token });
    expect(await client.closed).toEqual({ code: CloseCode.unauthorized, reason: 'access token expired' });
    await settle();
    expect(bobClient.ofType('presence').filter((frame) => frame.userId === ann.id)).toEqual([]);
  });

  it('closes with 4401 when the first frame is not an auth frame', async () => {
    const client = await connect();
    client.send({ type: 'ping' });
    expect(await client.closed).toMatchObject({ code: CloseCode.unauthorized });
  });
});

describe('fan-out', () => {
  it('delivers conv:<id> frames to exactly the connected members, in order, as the very string published', async () => {
    const [ann, bob, eve] = await Promise.all([1, 2, 3].map(() => registerAccount(server)));
    if (!ann || !bob || !eve) throw new Error('accounts');
    const conversationId = await createConversation(platform(), [ann.id, bob.id]);
    await createConversation(platform(), [eve.id]);
    const annClient = await connect(ann);
    const annSecondDevice = await connect(ann);
    const bobClient = await connect(bob);
    const eveClient = await connect(eve);

    const published = [1, 2, 3, 4, 5].map((seq) => eventFrame(conversationId, seq));
    for (const frame of published) await publish(conversationChannel(conversationId), frame);

    for (const client of [annClient, annSecondDevice, bobClient]) {
      await vi.waitFor(() => expect(client.ofType('event')).toHaveLength(5), WAIT);
      expect(client.raw.filter((text) => text.includes('"type":"event"'))).toEqual(published);
    }
    await settle();
    expect(eveClient.ofType('event')).toEqual([]);
    expect(
      await metricValue(platform().metrics.websocketMessagesTotal, { direction: 'out', type: 'event' }),
    ).toBeGreaterThanOrEqual(15);
  });

  it('delivers a durable frame once even when it is published twice', async () => {
    const ann = await registerAccount(server);
    const conversationId = await createConversation(platform(), [ann.id]);
    const client = await connect(ann);
    const channel = conversationChannel(conversationId);
    for (const seq of [1, 1, 2, 2, 3]) await publish(channel, eventFrame(conversationId, seq));
    await vi.waitFor(() => expect(client.ofType('event').map((frame) => frame.seq)).toEqual([1, 2, 3]), WAIT);
    await settle();
    expect(client.ofType('event')).toHaveLength(3);
  });
});

describe('ordering from the event log', () => {
  it('fetches a gap from the log before delivering the frame after it, so members see every seq once, in order', async () => {
    const ann = await registerAccount(server);
    const conversationId = await createConversation(platform(), [ann.id]);
    const client = await connect(ann);
    const store = await platform().messageStore();
    const events = [];
    for (const body of ['a', 'b', 'c', 'd'])
      events.push(
        (
          await store.appendMessage({
            conversationId,
            senderId: ann.id,
            clientMessageId: body,
            body,
            replyToId: null,
            attachmentFileIds: [],
            pollId: null,
          })
        ).event,
      );
    // Only the last publish made it through the bus; 1 to 3 come from the log first.
    const last = events.at(-1);
    if (!last) throw new Error('no events');
    await publish(conversationChannel(conversationId), encodeEventFrame(last));
    await vi.waitFor(
      () => expect(client.ofType('event').map((frame) => frame.seq)).toEqual([1, 2, 3, 4]),
      WAIT,
    );
    // Those read from the log carry what a publisher would have sent (key order aside: the log is jsonb).
    expect(client.ofType('event')).toEqual(events.map((event) => JSON.parse(encodeEventFrame(event))));
    await publish(conversationChannel(conversationId), encodeEventFrame(last));
    await settle();
    expect(client.ofType('event')).toHaveLength(4);
  });
});

describe('typing and presence', () => {
  it('relays typing to the other members, never to the sender or to non-members', async () => {
    const [ann, bob, eve] = await Promise.all([1, 2, 3].map(() => registerAccount(server)));
    if (!ann || !bob || !eve) throw new Error('accounts');
    const conversationId = await createConversation(platform(), [ann.id, bob.id]);
    await createConversation(platform(), [eve.id]);
    const annClient = await connect(ann);
    const bobClient = await connect(bob);
    const eveClient = await connect(eve);

    annClient.send({ type: 'typing', conversationId });
    const typing = await bobClient.next((frame) => frame.type === 'typing');
    expect(typing).toEqual({ type: 'typing', conversationId, userId: ann.id });
    await settle();
    expect(annClient.ofType('typing')).toEqual([]);
    expect(eveClient.ofType('typing')).toEqual([]);

    // Typing into a conversation one is not a member of is refused and relayed to nobody.
    eveClient.send({ type: 'typing', conversationId });
    expect(await eveClient.next((frame) => frame.type === 'error')).toMatchObject({ code: 'not-a-member' });
    await settle();
    expect(bobClient.ofType('typing')).toHaveLength(1);
  });

  it('tells the members of shared conversations when a user changes status or goes offline', async () => {
    const [ann, bob] = await Promise.all([1, 2].map(() => registerAccount(server)));
    if (!ann || !bob) throw new Error('accounts');
    await createConversation(platform(), [ann.id, bob.id]);
    const bobClient = await connect(bob);
    const annClient = await connect(ann);
    await bobClient.next(
      (frame) => frame.type === 'presence' && frame.userId === ann.id && frame.status === 'online',
    );

    annClient.send({ type: 'presence', status: 'away' });
    await bobClient.next(
      (frame) => frame.type === 'presence' && frame.userId === ann.id && frame.status === 'away',
    );
    annClient.close();
    await bobClient.next(
      (frame) => frame.type === 'presence' && frame.userId === ann.id && frame.status === 'offline',
    );
  });

  it('answers ping with pong and invalid frames with error frames, then closes a socket that keeps sending them', async () => {
    const ann = await registerAccount(server);
    const client = await connect(ann);
    client.send({ type: 'ping' });
    await client.next((frame) => frame.type === 'pong');
    client.send('not json');
    client.send({ type: 'teleport' });
    client.send({ type: 'typing', conversationId: 'not-a-uuid' });
    await vi.waitFor(
      () =>
        expect(client.ofType('error').map((frame) => frame.code)).toEqual([
          'invalid-frame',
          'unknown-type',
          'invalid-frame',
        ]),
      WAIT,
    );
    for (let i = 0; i < 10; i++) client.send('{}');
    expect(await client.closed).toMatchObject({ code: CloseCode.protocolViolation });
  });
});

describe('membership and revocation signals', () => {
  it('starts and stops delivery on membership signals without reconnecting', async () => {
    const [ann, bob] = await Promise.all([1, 2].map(() => registerAccount(server)));
    if (!ann || !bob) throw new Error('accounts');
    const conversationId = await createConversation(platform(), [bob.id]);
    const client = await connect(ann);
    const channel = conversationChannel(conversationId);

    await publish(channel, eventFrame(conversationId, 1));
    await settle();
    expect(client.ofType('event')).toEqual([]);

    await addMember(platform(), conversationId, ann.id);
    await signal(ann.id, { kind: 'membership', conversationId, action: 'added' });
    // Told once subscribed, so it can catch up on what preceded its join.
    expect(await client.next((frame) => frame.type === 'joined')).toEqual({ type: 'joined', conversationId });
    await vi.waitFor(async () => {
      await publish(channel, eventFrame(conversationId, 2));
      expect(client.ofType('event').length).toBeGreaterThan(0);
    }, WAIT);

    await signal(ann.id, { kind: 'membership', conversationId, action: 'removed' });
    await settle();
    const before = client.ofType('event').length;
    await publish(channel, eventFrame(conversationId, 3));
    await settle();
    expect(client.ofType('event')).toHaveLength(before);
  });

  it("closes the sockets of a logged-out session with 4401, and leaves the user's other sessions open", async () => {
    const ann = await registerAccount(server);
    const login = await server.request('POST', '/v1/auth/login', {
      body: { email: ann.email, password: ann.password },
    });
    const other = await connect({ ...ann, accessToken: login.body.accessToken });
    const client = await connect(ann);
    expect((await server.request('POST', '/v1/auth/logout', { token: ann.accessToken })).status).toBe(204);
    expect(await client.closed).toMatchObject({ code: CloseCode.unauthorized });
    await settle();
    other.send({ type: 'ping' });
    await other.next((frame) => frame.type === 'pong');
  });

  it("closes the other sessions' sockets when the password changes, keeping the caller's", async () => {
    const ann = await registerAccount(server);
    const login = await server.request('POST', '/v1/auth/login', {
      body: { email: ann.email, password: ann.password },
    });
    const elsewhere = await connect({ ...ann, accessToken: login.body.accessToken });
    const here = await connect(ann);
    const changed = await server.request('POST', '/v1/users/me/password', {
      token: ann.accessToken,
      body: { currentPassword: ann.password, newPassword: 'a different passphrase' },
    });
    expect(changed.status).toBe(204);
    expect(await elsewhere.closed).toMatchObject({ code: CloseCode.unauthorized });
    here.send({ type: 'ping' });
    await here.next((frame) => frame.type === 'pong');
  });

  it('closes every socket of a revoked user with 4401', async () => {
    const ann = await registerAccount(server);
    const first = await connect(ann);
    const second = await connect(ann);
    await signal(ann.id, { kind: 'user-revoked' });
    expect(await first.closed).toMatchObject({ code: CloseCode.unauthorized });
    expect(await second.closed).toMatchObject({ code: CloseCode.unauthorized });
  });
});
