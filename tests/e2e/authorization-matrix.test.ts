import { describe, expect, it } from 'vitest';
import { loadFunctions } from '../../scripts/lib/function-catalog';
import type { AnyFunction } from '../../shared/src/http/define-function';
import { registerAccount } from '../../shared/src/testing/accounts';
import { createGroup, sendMessage } from '../support/conversations';
import { presign, uploadFile } from '../support/drive';
import { createPoll, vote } from '../support/polls';
import { useServer } from '../support/use-server';

// AI configured (at a port where nothing listens), so the AI operations get as far as the membership check.
const server = useServer({ AI_BASE_URL: 'http://127.0.0.1:9/v1', AI_MODEL: 'unreachable' });
const functions = await loadFunctions();

/** A valid body for each conversation-scoped operation, so that only authorization can refuse it. */
const VALID_BODIES: Record<string, unknown> = {
  'conversations-update': { title: 'Hijacked' },
  'members-add': { userIds: [] as string[] },
  'members-update': { role: 'admin' },
  'conversations-mark-read': { seq: 1 },
  'messages-send': { clientMessageId: 'intruder-1', body: 'let me in' },
  'messages-edit': { body: 'edited by an intruder' },
  'polls-create': { question: 'Intruder?', options: ['yes', 'no'] },
  'calls-start': { video: false },
};
const VALID_QUERIES: Record<string, string> = { 'messages-search': '?q=secret' };

const conversationScoped = functions.filter((fn) => fn.path.includes(':conversationId'));

function pathFor(fn: AnyFunction, ids: Record<string, string>): string {
  return (
    fn.path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(ids[name] ?? `missing-${name}`)) +
    (VALID_QUERIES[fn.name] ?? '')
  );
}

describe('a non-member', () => {
  it('covers every conversation-scoped operation', () => {
    expect(conversationScoped.map((fn) => fn.name).sort()).toEqual(
      expect.arrayContaining([
        'conversations-get',
        'conversations-update',
        'conversations-mark-read',
        'conversations-events',
        'members-add',
        'members-remove',
        'members-update',
        'messages-send',
        'messages-list',
        'messages-search',
        'messages-edit',
        'messages-delete',
        'reactions-add',
        'reactions-remove',
        'polls-create',
        'calls-start',
        'ai-summarize',
        'ai-suggest-replies',
      ]),
    );
  });

  it('gets 404 from every conversation, message, reaction, read and search endpoint, and changes nothing', async () => {
    const [owner, member, outsider] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const group = await createGroup(server(), owner, [member]);
    const message = await sendMessage(server(), member, group.id, 'the secret plan');
    const before = await server().request('GET', `/v1/conversations/${group.id}/events`, {
      token: owner.accessToken,
    });
    const ids = { conversationId: group.id, messageId: message.id, userId: member.id, emoji: '👍' };
    for (const fn of conversationScoped) {
      const body = VALID_BODIES[fn.name] ?? (fn.request.body ? {} : undefined);
      if (fn.name === 'members-add') (body as { userIds: string[] }).userIds = [outsider.id];
      const response = await server().request(fn.method, pathFor(fn, ids), {
        token: outsider.accessToken,
        body,
      });
      expect({ fn: fn.name, status: response.status }).toEqual({ fn: fn.name, status: 404 });
      expect(JSON.stringify(response.body)).not.toContain('secret plan');
    }
    const after = await server().request('GET', `/v1/conversations/${group.id}/events`, {
      token: owner.accessToken,
    });
    expect(after.body.lastSeq).toBe(before.body.lastSeq);
    const conversation = await server().request('GET', `/v1/conversations/${group.id}`, {
      token: owner.accessToken,
    });
    expect(conversation.body.title).toBe('Test group');
    expect(conversation.body.members.map((m: { userId: string }) => m.userId).sort()).toEqual(
      [owner.id, member.id].sort(),
    );
  });

  it('also gets 404 for a conversation that does not exist, indistinguishably', async () => {
    const outsider = await registerAccount(server());
    const [owner] = [await registerAccount(server())];
    const group = await createGroup(server(), owner, []);
    const real = await server().request('GET', `/v1/conversations/${group.id}`, {
      token: outsider.accessToken,
    });
    const missing = await server().request('GET', `/v1/conversations/${crypto.randomUUID()}`, {
      token: outsider.accessToken,
    });
    expect(real.status).toBe(404);
    expect(missing.status).toBe(404);
    const strip = ({ instance: _, ...rest }: Record<string, unknown>) => rest;
    expect(strip(real.body)).toEqual(strip(missing.body));
  });
});

const pollScoped = functions.filter((fn) => fn.path.includes(':pollId'));

describe("a non-member of the poll's conversation", () => {
  it('covers every poll operation', () => {
    expect(pollScoped.map((fn) => fn.name).sort()).toEqual([
      'polls-close',
      'polls-get',
      'polls-retract',
      'polls-vote',
    ]);
  });

  it('gets 404 from every poll endpoint, learns nothing and changes nothing', async () => {
    const [owner, member, outsider] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const group = await createGroup(server(), owner, [member]);
    const poll = await createPoll(server(), member, group.id, { question: 'The secret vote' });
    await vote(server(), member, poll.id, [poll.options[0]?.id as string]);
    const before = await server().request('GET', `/v1/polls/${poll.id}`, { token: owner.accessToken });
    for (const fn of pollScoped) {
      const response = await server().request(fn.method, pathFor(fn, { pollId: poll.id }), {
        token: outsider.accessToken,
        body: fn.name === 'polls-vote' ? { optionIds: [poll.options[1]?.id] } : undefined,
      });
      expect({ fn: fn.name, status: response.status }).toEqual({ fn: fn.name, status: 404 });
      expect(JSON.stringify(response.body)).not.toContain('secret vote');
    }
    const after = await server().request('GET', `/v1/polls/${poll.id}`, { token: owner.accessToken });
    expect(after.body).toEqual(before.body);
  });
});

const fileScoped = functions.filter((fn) => fn.path.includes(':fileId'));

describe('a user the file was never shared with', () => {
  it('covers every file operation', () => {
    expect(fileScoped.map((fn) => fn.name).sort()).toEqual([
      'files-complete-upload',
      'files-delete',
      'files-download',
    ]);
  });

  it('gets 404 from every file endpoint, for completed and pending files, and changes nothing', async () => {
    const [owner, outsider] = [await registerAccount(server()), await registerAccount(server())];
    const ready = await uploadFile(server(), owner, { name: 'secret-plan.txt', content: 'the secret plan' });
    const pending = await presign(server(), owner, {
      name: 'secret-draft.txt',
      size: 3,
      contentType: 'text/plain',
    });
    const before = await server().request('GET', '/v1/files', { token: owner.accessToken });
    for (const fileId of [ready.id, pending.fileId]) {
      for (const fn of fileScoped) {
        const response = await server().request(fn.method, pathFor(fn, { fileId }), {
          token: outsider.accessToken,
        });
        expect({ fn: fn.name, status: response.status }).toEqual({ fn: fn.name, status: 404 });
        expect(JSON.stringify(response.body)).not.toContain('secret');
      }
    }
    const after = await server().request('GET', '/v1/files', { token: owner.accessToken });
    expect(after.body).toEqual(before.body);
  });
});

const callScoped = functions.filter((fn) => fn.path.includes(':callId'));
const deviceScoped = functions.filter((fn) => fn.path.includes(':deviceId'));

describe("a non-member of the call's conversation", () => {
  it('covers every call and device operation', () => {
    expect(callScoped.map((fn) => fn.name).sort()).toEqual(['calls-end', 'calls-join']);
    expect(deviceScoped.map((fn) => fn.name)).toEqual(['push-unregister-device']);
  });

  it("gets 404 from every call endpoint and cannot end the call; another user's device is 404 too", async () => {
    const [owner, member, outsider] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    const direct = await server().request('POST', '/v1/conversations', {
      token: owner.accessToken,
      body: { type: 'direct', userId: member.id },
    });
    const started = await server().request('POST', `/v1/conversations/${direct.body.id}/calls`, {
      token: owner.accessToken,
      body: {},
    });
    for (const fn of callScoped) {
      const response = await server().request(fn.method, pathFor(fn, { callId: started.body.callId }), {
        token: outsider.accessToken,
      });
      expect({ fn: fn.name, status: response.status }).toEqual({ fn: fn.name, status: 404 });
    }
    const still = await server().request('POST', `/v1/calls/${started.body.callId}/join`, {
      token: member.accessToken,
    });
    expect(still.body.call.endedAt).toBeNull();

    const device = await server().request('POST', '/v1/push/devices', {
      token: owner.accessToken,
      body: { platform: 'apns', token: 'b'.repeat(64) },
    });
    for (const fn of deviceScoped) {
      const response = await server().request(fn.method, pathFor(fn, { deviceId: device.body.id }), {
        token: outsider.accessToken,
      });
      expect({ fn: fn.name, status: response.status }).toEqual({ fn: fn.name, status: 404 });
    }
  });
});

const adminOnly = functions.filter((fn) => fn.auth === 'admin');

describe('a user without the admin role', () => {
  it('covers every admin operation', () => {
    expect(adminOnly.map((fn) => fn.name).sort()).toEqual([
      'admin-audit-log',
      'admin-stats',
      'admin-users',
      'admin-users-ban',
      'admin-users-unban',
    ]);
  });

  it('gets 403 from every admin endpoint (401 without a token), and bans nobody', async () => {
    const [user, target] = [await registerAccount(server()), await registerAccount(server())];
    for (const fn of adminOnly) {
      const path = pathFor(fn, { userId: target.id });
      const body = fn.request.body ? {} : undefined;
      const asUser = await server().request(fn.method, path, { token: user.accessToken, body });
      expect({ fn: fn.name, status: asUser.status }).toEqual({ fn: fn.name, status: 403 });
      const anonymous = await server().request(fn.method, path, { body });
      expect({ fn: fn.name, status: anonymous.status }).toEqual({ fn: fn.name, status: 401 });
    }
    expect((await server().request('GET', '/v1/users/me', { token: target.accessToken })).status).toBe(200);
  });
});
