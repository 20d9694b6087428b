import { beforeAll, describe, expect, it } from 'vitest';
import { loadFunctions } from '../../scripts/lib/function-catalog';
import { type AnyFunction, publicFunctions } from '../../shared/src/http/define-function';
import { SecureConnectClient } from '../src/client';
import { OPERATIONS, type OperationName } from '../src/operations';

const USER = '7d6f4a3e-1b2c-4d5e-8f90-a1b2c3d4e5f6';
const CONVERSATION = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';
const MESSAGE = '9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a';
const POLL = '3c2b1a0f-9e8d-4c7b-a6f5-e4d3c2b1a098';
const OPTION = '5e4d3c2b-1a09-48f7-a6e5-d4c3b2a19087';
const FILE = '6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d';
const CALL = '7b6c5d4e-3f2a-4b1c-8d9e-0f1a2b3c4d5e';
const DEVICE = '8c7d6e5f-4a3b-4c2d-9e0f-1a2b3c4d5e6f';

/**
 * One call of each SDK method. Typed by operation name, so an operation the SDK lists but no
 * method reaches does not compile.
 */
const CALLS: Record<OperationName, (client: SecureConnectClient) => Promise<unknown>> = {
  'auth-register': (c) =>
    c.auth.register({ email: 'a@example.test', password: 'long enough', displayName: 'A' }),
  'auth-login': (c) => c.auth.login({ email: 'a@example.test', password: 'long enough' }),
  'auth-refresh': (c) => c.auth.refresh(),
  'auth-logout': (c) => c.auth.logout(),
  'auth-verify-email': (c) => c.auth.verifyEmail('token'),
  'auth-resend-verification': (c) => c.auth.resendVerification(),
  'auth-password-reset-request': (c) => c.auth.requestPasswordReset({ email: 'a@example.test' }),
  'auth-password-reset-confirm': (c) =>
    c.auth.confirmPasswordReset({ token: 't', newPassword: 'long enough' }),
  'users-me': (c) => c.users.me(),
  'users-update-me': (c) => c.users.updateMe({ displayName: 'B' }),
  'users-change-password': (c) =>
    c.users.changePassword({ currentPassword: 'a', newPassword: 'long enough' }),
  'users-delete-me': (c) => c.users.deleteMe({ password: 'a' }),
  'users-lookup': (c) => c.users.lookup('a@example.test'),
  'users-block': (c) => c.users.block(USER),
  'users-unblock': (c) => c.users.unblock(USER),
  'users-blocked-list': (c) => c.users.blocked({ limit: 10 }),
  'keys-upload': (c) =>
    c.keys.upload({ identityKey: 'aWs=', signedPrekey: { keyId: 1, publicKey: 'c3A=', signature: 'c2ln' } }),
  'keys-bundle': (c) => c.keys.bundle(USER),
  'keys-count': (c) => c.keys.count(),
  'conversations-create': (c) => c.conversations.create({ type: 'direct', userId: USER }),
  'conversations-list': (c) => c.conversations.list(),
  'conversations-get': (c) => c.conversations.get(CONVERSATION),
  'conversations-update': (c) => c.conversations.update(CONVERSATION, { title: 'New' }),
  'conversations-mark-read': (c) => c.conversations.markRead(CONVERSATION, 3),
  'conversations-events': (c) => c.conversations.events(CONVERSATION, { after: 2 }),
  'members-add': (c) => c.members.add(CONVERSATION, { userIds: [USER] }),
  'members-remove': (c) => c.members.remove(CONVERSATION, USER),
  'members-update': (c) => c.members.update(CONVERSATION, USER, { role: 'admin' }),
  'messages-send': (c) => c.messages.send(CONVERSATION, { body: 'hi' }),
  'messages-list': (c) => c.messages.list(CONVERSATION, { before: 10 }),
  'messages-search': (c) => c.messages.search(CONVERSATION, 'hello'),
  'messages-edit': (c) => c.messages.edit(CONVERSATION, MESSAGE, { body: 'edited' }),
  'messages-delete': (c) => c.messages.delete(CONVERSATION, MESSAGE),
  'reactions-add': (c) => c.reactions.add(CONVERSATION, MESSAGE, '👍'),
  'reactions-remove': (c) => c.reactions.remove(CONVERSATION, MESSAGE, '👍'),
  'presence-get': (c) => c.presence.get([USER]),
  'polls-create': (c) => c.polls.create(CONVERSATION, { question: 'Q?', options: ['a', 'b'] }),
  'polls-get': (c) => c.polls.get(POLL),
  'polls-vote': (c) => c.polls.vote(POLL, [OPTION]),
  'polls-retract': (c) => c.polls.retract(POLL),
  'polls-close': (c) => c.polls.close(POLL),
  'files-presign-upload': (c) => c.files.presign({ name: 'a.txt', size: 1, contentType: 'text/plain' }),
  'files-complete-upload': (c) => c.files.complete(FILE),
  'files-list': (c) => c.files.list({ limit: 10 }),
  'files-download': (c) => c.files.downloadUrl(FILE),
  'files-delete': (c) => c.files.delete(FILE),
  'calls-start': (c) => c.calls.start(CONVERSATION, { video: true }),
  'calls-join': (c) => c.calls.join(CALL),
  'calls-end': (c) => c.calls.end(CALL),
  'push-register-device': (c) => c.push.registerDevice({ platform: 'fcm', token: 'token' }),
  'push-unregister-device': (c) => c.push.unregisterDevice(DEVICE),
  'notification-preferences': (c) => c.push.preferences(),
  'notification-preferences-update': (c) => c.push.updatePreferences({ previews: false }),
  'ai-settings': (c) => c.ai.settings(),
  'ai-settings-update': (c) => c.ai.updateSettings({ enabled: true }),
  'ai-summarize': (c) => c.ai.summarize(CONVERSATION),
  'ai-suggest-replies': (c) => c.ai.suggestReplies(CONVERSATION),
  'admin-users': (c) => c.admin.users({ q: 'ana', status: 'banned', limit: 10 }),
  'admin-users-ban': (c) => c.admin.ban(USER, { reason: 'spam' }),
  'admin-users-unban': (c) => c.admin.unban(USER),
  'admin-audit-log': (c) =>
    c.admin.auditLog({ userId: USER, event: 'user.banned', from: '2025-01-01T00:00:00Z' }),
  'admin-stats': (c) => c.admin.stats(),
};

interface Recorded {
  method: string;
  path: string;
  authorized: boolean;
}

/** Runs one SDK call against a fetch that records the request and answers 200. */
async function record(call: (client: SecureConnectClient) => Promise<unknown>): Promise<Recorded[]> {
  const requests: Recorded[] = [];
  const client = new SecureConnectClient({
    baseUrl: 'https://api.example.test',
    tokens: { accessToken: 'access', refreshToken: 'refresh' },
    fetch: async (input, init) => {
      const headers = new Headers(init?.headers);
      requests.push({
        method: init?.method ?? 'GET',
        path: decodeURIComponent(new URL(String(input)).pathname),
        authorized: headers.has('authorization'),
      });
      return Response.json({
        user: { id: USER },
        accessToken: 'access2',
        refreshToken: 'refresh2',
        expiresIn: 900,
      });
    },
  });
  await call(client);
  return requests;
}

/** `/v1/users/:userId/block` → a pattern any filled-in path of it matches. */
function pathPattern(path: string): RegExp {
  return new RegExp(`^${path.replace(/:\w+/g, '[^/:]+')}$`);
}

describe('the SDK covers every function', () => {
  let functions: AnyFunction[];
  beforeAll(async () => {
    functions = publicFunctions(await loadFunctions()).filter((fn) => fn.sdk !== false);
  });

  it('has an operation for each function manifest, and none that no function serves', () => {
    expect(Object.keys(OPERATIONS).sort()).toEqual(functions.map((fn) => fn.name).sort());
  });

  it('lists each operation with its manifest’s method, path and authentication', () => {
    for (const fn of functions) {
      expect(OPERATIONS[fn.name as OperationName], fn.name).toEqual({
        method: fn.method,
        path: fn.path,
        authenticated: fn.auth !== 'public',
      });
    }
  });

  it('has a method that sends exactly its function’s request', async () => {
    for (const fn of functions) {
      const requests = await record(CALLS[fn.name as OperationName]);
      expect(requests, fn.name).toHaveLength(1);
      const [request] = requests as [Recorded];
      expect(request.method, fn.name).toBe(fn.method);
      expect(request.path, fn.name).toMatch(pathPattern(fn.path));
      expect(request.authorized, fn.name).toBe(fn.auth !== 'public');
    }
  });
});
