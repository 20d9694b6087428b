import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type AuditEntry,
  RealtimeClient,
  SecureConnectClient,
  SecureConnectError,
  type TokenPair,
} from '@secureconnect/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { loadFunctions } from '../../scripts/lib/function-catalog';
import { registerAccount } from '../../shared/src/testing/accounts';
import { startTestServer, type TestServer } from '../../shared/src/testing/test-server';
import { grantAdmin } from '../support/admin';
import {
  FAST_BACKOFF,
  registerUser,
  registerUsers,
  type SdkUser,
  startSdkDevServer,
  WAIT,
} from '../support/sdk';

const ROOT = resolve(import.meta.dirname, '../..');
const sharedStores = Boolean(process.env.SC_TEST_DATABASE_URL && process.env.SC_TEST_REDIS_URL);

let server: TestServer;
let env: Record<string, string>;
let admin: SdkUser;

beforeAll(async () => {
  // Gateways report their sockets on every heartbeat: once a second here, so stats see a socket soon.
  ({ server, env } = await startSdkDevServer({ REALTIME_PING_INTERVAL_MS: '1000' }));
  admin = await registerUser(server.url, 'Admin');
  await grantAdmin(server, admin.email);
  await admin.client.auth.login({ email: admin.email, password: admin.password });
});
afterAll(() => server?.close());

/** A raw socket on the server's gateway, authenticated and ready, and when and how it closed. */
async function openSocket(accessToken: string) {
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/v1/realtime`);
  const closed = new Promise<{ code: number; at: number }>((done) =>
    ws.once('close', (code) => done({ code, at: Date.now() })),
  );
  await once(ws, 'open');
  const ready = new Promise<void>((done) =>
    ws.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'ready') done();
    }),
  );
  ws.send(JSON.stringify({ type: 'auth', token: accessToken }));
  await ready;
  return { ws, closed };
}

/** What a request or SDK call was refused with. */
async function refusal(call: Promise<unknown>): Promise<{ status: number; type: string }> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof SecureConnectError)) throw new Error(`expected a refusal, got ${String(error)}`);
  return { status: error.status, type: error.type };
}

const tokensOf = (client: SecureConnectClient) => client.tokens as TokenPair;

describe('a ban', () => {
  let second: TestServer | undefined;
  afterAll(() => second?.close());

  it.skipIf(!sharedStores)(
    'closes the open socket (4401) within a second and refuses every token at once, in every process',
    async () => {
      // Another API process on the same database, Redis and keys, as a second replica would be.
      second = await startTestServer({
        functions: await loadFunctions(),
        env: {
          DATABASE_URL: env.DATABASE_URL as string,
          REDIS_URL: env.REDIS_URL as string,
          REDIS_KEY_PREFIX: env.REDIS_KEY_PREFIX as string,
          DATA_DIR: env.DATA_DIR as string,
        },
      });
      const user = await registerUser(server.url, 'Banned');
      const phone = new SecureConnectClient({ baseUrl: server.url });
      await phone.auth.login({ email: user.email, password: user.password });
      const sessions = [tokensOf(user.client), tokensOf(phone)];
      const socket = await openSocket(sessions[0]!.accessToken);
      const realtime = new RealtimeClient(user.client, { WebSocket, backoff: FAST_BACKOFF });
      await realtime.connect();
      // Both processes have vouched for the sessions, and remember it.
      for (const target of [server, second])
        for (const { accessToken } of sessions)
          expect((await target.request('GET', '/v1/users/me', { token: accessToken })).status).toBe(200);

      const bannedAt = Date.now();
      const banned = await admin.client.admin.ban(user.id, { reason: 'spam' });
      expect(banned.status).toBe('banned');

      const { code, at } = await socket.closed;
      expect(code).toBe(4401);
      expect(at - bannedAt).toBeLessThan(1000);
      await vi.waitFor(() => expect(realtime.state).toBe('closed'), WAIT);
      for (const target of [server, second]) {
        for (const { accessToken, refreshToken } of sessions) {
          expect((await target.request('GET', '/v1/users/me', { token: accessToken })).status).toBe(401);
          const refreshed = await target.request('POST', '/v1/auth/refresh', { body: { refreshToken } });
          expect(refreshed.status).toBe(401);
        }
        const login = await target.request('POST', '/v1/auth/login', {
          body: { email: user.email, password: user.password },
        });
        expect(login.status).toBe(403);
        expect(login.body.type).toMatch(/\/account-banned$/);
        expect(login.body.detail).toMatch(/banned by an administrator/);
      }
      // A wrong password still answers as for anyone: the ban shows only to whoever knows the password.
      const wrong = await server.request('POST', '/v1/auth/login', {
        body: { email: user.email, password: 'not the password' },
      });
      expect(wrong.status).toBe(401);

      await admin.client.admin.unban(user.id);
      const again = await user.client.auth.login({ email: user.email, password: user.password });
      expect(again.user.id).toBe(user.id);
      expect((await user.client.users.me()).id).toBe(user.id);
    },
  );

  it('is not lifted by a password reset', async () => {
    const user = await registerUser(server.url, 'Resetting');
    await admin.client.admin.ban(user.id);
    await user.client.auth.requestPasswordReset({ email: user.email });
    const mail = await server.smtp.waitFor(
      (message) => message.to.includes(user.email) && /reset your password/i.test(message.subject),
    );
    const token = decodeURIComponent(/[?&]token=([^\s&]+)/.exec(mail.text)?.[1] ?? '');
    const newPassword = 'a brand new passphrase';
    await user.client.auth.confirmPasswordReset({ token, newPassword });
    expect(await refusal(user.client.auth.login({ email: user.email, password: newPassword }))).toEqual({
      status: 403,
      type: 'https://secureconnect.dev/problems/account-banned',
    });
  });
});

describe('the audit log', () => {
  it('records the security events of SPEC §8 with actor, ip and time; filters and pages them', async () => {
    const started = new Date();
    const user = await registerUser(server.url, 'Audited');
    const other = await registerUser(server.url, 'Other');
    const login = (password: string) =>
      server.request('POST', '/v1/auth/login', { body: { email: user.email, password } });
    expect((await login(user.password)).status).toBe(200);
    const spent = tokensOf(user.client).refreshToken;
    await user.client.auth.refresh();
    expect((await server.request('POST', '/v1/auth/refresh', { body: { refreshToken: spent } })).status).toBe(
      401,
    );
    await user.client.auth.login({ email: user.email, password: user.password });
    const password = 'a changed passphrase';
    await user.client.users.changePassword({ currentPassword: user.password, newPassword: password });
    await admin.client.admin.ban(user.id, { reason: 'testing' });
    await admin.client.admin.unban(user.id);
    for (let attempt = 0; attempt < 5; attempt++) expect((await login('wrong password!')).status).toBe(401);
    expect((await login(password)).status).toBe(429);

    const entries: AuditEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await admin.client.admin.auditLog({ userId: user.id, limit: 4, cursor });
      entries.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(entries.length);
    expect(entries.map((entry) => entry.occurredAt)).toEqual(
      entries.map((entry) => entry.occurredAt).sort((a, b) => b.localeCompare(a)),
    );
    const byEvent = (event: string) => entries.filter((entry) => entry.event === event);
    const expectations: Array<[string, string | null, number]> = [
      ['user.registered', user.id, 1],
      ['login.succeeded', user.id, 2],
      ['refresh-token.reused', null, 1],
      ['password.changed', user.id, 1],
      ['user.banned', admin.id, 1],
      ['user.unbanned', admin.id, 1],
      ['login.failed', null, 5],
      ['account.locked', null, 1],
      ['login.locked', null, 1],
    ];
    for (const [event, actorId, times] of expectations) {
      const found = byEvent(event);
      expect({ event, times: found.length }).toEqual({ event, times });
      for (const entry of found) {
        expect({ event, actorId: entry.actorId, subjectId: entry.subjectId }).toEqual({
          event,
          actorId,
          subjectId: user.id,
        });
        expect(entry.ip).toBeTruthy();
        expect(Date.parse(entry.occurredAt)).toBeGreaterThanOrEqual(started.getTime() - 1000);
      }
    }
    expect(byEvent('user.banned')[0]?.details).toMatchObject({ reason: 'testing' });
    expect(entries.some((entry) => entry.subjectId === other.id)).toBe(false);

    const failures = await admin.client.admin.auditLog({ userId: user.id, event: 'login.failed' });
    expect(failures.items.map((entry) => entry.id)).toEqual(byEvent('login.failed').map((entry) => entry.id));
    const ban = byEvent('user.banned')[0]!;
    const window = await admin.client.admin.auditLog({
      userId: user.id,
      from: ban.occurredAt,
      to: ban.occurredAt,
    });
    expect(window.items.map((entry) => entry.id)).toEqual([ban.id]);
    const asActor = await admin.client.admin.auditLog({ userId: admin.id, event: 'user.unbanned' });
    expect(asActor.items.map((entry) => entry.subjectId)).toContain(user.id);
  });
});

describe('the statistics', () => {
  it('reflect new users, conversations, messages of today, a connected socket and stored bytes', async () => {
    // Heartbeats report what was open a moment ago: wait until the sockets of earlier tests are gone.
    await vi.waitFor(async () => expect((await admin.client.admin.stats()).activeSockets).toBe(0), WAIT);
    const before = await admin.client.admin.stats();
    const [alice, bob] = await registerUsers(server.url, 'Alice', 'Bob');
    const direct = await alice.client.conversations.create({ type: 'direct', userId: bob.id });
    await alice.client.messages.send(direct.id, { body: 'one' });
    await bob.client.messages.send(direct.id, { body: 'two' });
    const content = new TextEncoder().encode('some stored bytes');
    await alice.client.files.upload({ data: content, name: 'notes.txt', contentType: 'text/plain' });
    const socket = await openSocket(tokensOf(bob.client).accessToken);

    await vi.waitFor(async () => expect((await admin.client.admin.stats()).activeSockets).toBe(1), WAIT);
    const after = await admin.client.admin.stats();
    expect(after.users.total).toBe(before.users.total + 2);
    expect(after.users.active).toBe(before.users.active + 2);
    expect(after.conversations.direct).toBe(before.conversations.direct + 1);
    expect(after.conversations.total).toBe(before.conversations.total + 1);
    const today = new Date().toISOString().slice(0, 10);
    expect(after.messagesPerDay.at(-1)).toEqual({
      day: today,
      count: (before.messagesPerDay.at(-1)?.count ?? 0) + 2,
    });
    expect(after.storage).toEqual({
      usedBytes: before.storage.usedBytes + content.byteLength,
      files: before.storage.files + 1,
    });

    socket.ws.close();
    await vi.waitFor(async () => expect((await admin.client.admin.stats()).activeSockets).toBe(0), WAIT);
  });
});

/** `npm run admin -- …` as an operator runs it, with the given environment only. */
async function adminCommand(args: string[], commandEnv: Record<string, string>) {
  const child = spawn('npm', ['run', 'admin', '--', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...commandEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const [code] = (await once(child, 'close')) as [number];
  return { code, stdout, stderr };
}

describe('npm run admin', () => {
  it.skipIf(!process.env.SC_TEST_DATABASE_URL)(
    "grants and revokes the role on the server's database; the user logs in again to use it; an unknown email is one line, exit 1",
    async () => {
      const user = await registerAccount(server);
      expect((await server.request('GET', '/v1/admin/stats', { token: user.accessToken })).status).toBe(403);
      const unknown = await adminCommand(['grant', `nobody-${crypto.randomUUID()}@example.test`], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^admin: No account has the email nobody-/),
      ]);

      const granted = await adminCommand(['grant', user.email], env);
      expect(granted).toMatchObject({ code: 0, stderr: '' });
      expect(granted.stdout).toContain(`${user.email} is now an admin`);
      // Its sessions ended at once, here too: the old token carried the old role.
      expect((await server.request('GET', '/v1/users/me', { token: user.accessToken })).status).toBe(401);
      const login = await server.request('POST', '/v1/auth/login', {
        body: { email: user.email, password: user.password },
      });
      expect(login.body.user.role).toBe('admin');
      expect((await server.request('GET', '/v1/admin/stats', { token: login.body.accessToken })).status).toBe(
        200,
      );
      const listed = await adminCommand(['list'], env);
      expect(listed.stdout).toContain(user.email);
      const audit = await server.request(
        'GET',
        `/v1/admin/audit-log?userId=${user.id}&event=user.role-granted`,
        {
          token: login.body.accessToken,
        },
      );
      expect(audit.body.items).toEqual([
        expect.objectContaining({
          actorId: null,
          details: { via: 'npm run admin grant', sessionsRevoked: 1 },
        }),
      ]);

      expect((await adminCommand(['revoke', user.email], env)).code).toBe(0);
      const relogin = await server.request('POST', '/v1/auth/login', {
        body: { email: user.email, password: user.password },
      });
      expect(relogin.body.user.role).toBe('user');
      expect(
        (await server.request('GET', '/v1/admin/stats', { token: relogin.body.accessToken })).status,
      ).toBe(403);
    },
  );

  it('answers bad usage with its usage line and exit 2, before touching any store', async () => {
    for (const args of [
      ['promote', 'someone@example.test'],
      ['grant'],
      ['grant', 'not-an-email'],
      ['list', 'x'],
    ]) {
      const usage = await adminCommand(args, {});
      expect({ args, code: usage.code }).toEqual({ args, code: 2 });
      expect(usage.stderr).toBe('usage: npm run admin -- grant <email> | revoke <email> | list\n');
    }
  });

  it('grants the role in an embedded DATA_DIR (PGlite) that no server holds meanwhile', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sc-admin-'));
    const embedded = { DATA_DIR: dataDir, DATABASE_URL: '', REDIS_URL: '' };
    try {
      const functions = await loadFunctions();
      let embeddedServer = await startTestServer({ functions, env: embedded });
      const user = await registerAccount(embeddedServer);
      await embeddedServer.close();

      const granted = await adminCommand(['grant', user.email], { DATA_DIR: dataDir });
      expect(granted).toMatchObject({ code: 0, stderr: '' });

      embeddedServer = await startTestServer({ functions, env: embedded });
      try {
        expect(embeddedServer.backends.sql).toBe('pglite');
        const login = await embeddedServer.request('POST', '/v1/auth/login', {
          body: { email: user.email, password: user.password },
        });
        const stats = await embeddedServer.request('GET', '/v1/admin/stats', {
          token: login.body.accessToken,
        });
        expect(stats.status).toBe(200);
        expect(stats.body.users.total).toBe(1);
      } finally {
        await embeddedServer.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 180_000);
});
