import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFunctions } from '../../scripts/lib/function-catalog';
import { registerAccount } from '../../shared/src/testing/accounts';
import { metricValue } from '../../shared/src/testing/observability';
import { startTestServer, type TestServer } from '../../shared/src/testing/test-server';
import { aiGroup, askAi, optIn, useAiServer } from '../../tests/support/ai';
import { createGroup, sendMessage } from '../../tests/support/conversations';

const MAX_INPUT_BYTES = 512;
const { server, ai } = useAiServer({
  AI_MAX_MESSAGES: '8',
  AI_MAX_INPUT_BYTES: String(MAX_INPUT_BYTES),
  RATE_LIMIT_AI: '5/60',
});
const summarize = (caller: Parameters<typeof askAi>[1], conversationId: string) =>
  askAi(server(), caller, conversationId, 'summary');

/** What the fake received last: the system prompt and the conversation it was given. */
function lastSent() {
  const body = ai().requests.at(-1)?.body as {
    model: string;
    messages: Array<{ role: string; content: string }>;
  };
  return { body, raw: JSON.stringify(body), conversation: body.messages[1]?.content };
}

describe('ai-summarize', () => {
  it("sends only opted-in members' messages and names, and answers what the server wrote", async () => {
    const ana = await registerAccount(server(), { displayName: 'Ana Consenting' });
    const ben = await registerAccount(server(), { displayName: 'Ben Consenting' });
    const eve = await registerAccount(server(), { displayName: 'Eve Private' });
    await optIn(server(), ana);
    await optIn(server(), ben);
    const group = await aiGroup(server(), ana, [ben, eve]);
    await sendMessage(server(), ana, group.id, 'Lunch at noon\non Friday?');
    await sendMessage(server(), eve, group.id, 'my door code is 4711');
    const gone = await sendMessage(server(), ben, group.id, 'a message ben took back');
    await server().request('DELETE', `/v1/conversations/${group.id}/messages/${gone.id}`, {
      token: ben.accessToken,
    });
    await sendMessage(server(), ben, group.id, 'Noon works');

    const metrics = server().server.platform.metrics;
    const before = {
      ok: await metricValue(metrics.aiRequestsTotal, { result: 'ok' }),
      prompt: await metricValue(metrics.aiTokensTotal, { kind: 'prompt' }),
      completion: await metricValue(metrics.aiTokensTotal, { kind: 'completion' }),
    };
    ai().answer('  Ana and Ben agreed on lunch at noon on Friday.  ', {
      prompt_tokens: 57,
      completion_tokens: 12,
    });
    const response = await summarize(ana, group.id);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      summary: 'Ana and Ben agreed on lunch at noon on Friday.',
      messageCount: 2,
      model: 'test-model',
    });

    const sent = lastSent();
    expect(ai().requests.at(-1)).toMatchObject({ path: '/v1/chat/completions', status: 200 });
    expect(ai().requests.at(-1)?.authorization).toBe(`Bearer ${ai().apiKey}`);
    expect(sent.body.model).toBe('test-model');
    expect(sent.body.messages.map((message) => message.role)).toEqual(['system', 'user']);
    expect(sent.conversation).toBe('Ana Consenting: Lunch at noon on Friday?\nBen Consenting: Noon works');
    for (const absent of ['Eve Private', '4711', 'door code', 'took back'])
      expect(sent.raw).not.toContain(absent);

    expect(await metricValue(metrics.aiRequestsTotal, { result: 'ok' })).toBe(before.ok + 1);
    expect(await metricValue(metrics.aiTokensTotal, { kind: 'prompt' })).toBe(before.prompt + 57);
    expect(await metricValue(metrics.aiTokensTotal, { kind: 'completion' })).toBe(before.completion + 12);
    // Neither what was sent nor what came back reaches the log.
    const logs = JSON.stringify(server().logs);
    for (const content of ['Lunch at noon', 'Noon works', 'agreed on lunch'])
      expect(logs).not.toContain(content);

    // Consent given later counts from then on; consent withdrawn takes the name out too.
    await optIn(server(), eve);
    await optIn(server(), ben, false);
    expect((await summarize(ana, group.id)).body.messageCount).toBe(2);
    expect(lastSent().conversation).toBe(
      'Ana Consenting: Lunch at noon on Friday?\nEve Private: my door code is 4711',
    );
    expect(lastSent().raw).not.toContain('Ben Consenting');
  });

  it('refuses, in order, before anything is sent: member, E2EE, aiEnabled, opt-in, something to send', async () => {
    const [ana, ben, outsider] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    await optIn(server(), ana);
    await optIn(server(), outsider);
    const sent = ai().requests.length;

    const group = await aiGroup(server(), ana, [ben]);
    await sendMessage(server(), ana, group.id, 'a secret plan');
    const notMember = await summarize(outsider, group.id);
    expect(notMember.status).toBe(404);
    expect(JSON.stringify(notMember.body)).not.toContain('secret plan');

    const encrypted = await aiGroup(server(), ana, [ben], true);
    await sendMessage(server(), ana, encrypted.id, 'Y2lwaGVydGV4dA==');
    const e2ee = await summarize(ana, encrypted.id);
    expect([e2ee.status, e2ee.body.type]).toEqual([
      409,
      'https://secureconnect.dev/problems/e2ee-ai-unavailable',
    ]);

    const plain = await createGroup(server(), ana, [ben]);
    await sendMessage(server(), ana, plain.id, 'not for the AI');
    const disabled = await summarize(ana, plain.id);
    expect([disabled.status, disabled.body.type]).toEqual([
      409,
      'https://secureconnect.dev/problems/ai-disabled',
    ]);

    const notOptedIn = await summarize(ben, group.id);
    expect([notOptedIn.status, notOptedIn.body.type]).toEqual([
      403,
      'https://secureconnect.dev/problems/ai-opt-in-required',
    ]);

    const quiet = await aiGroup(server(), ana, [ben]);
    await sendMessage(server(), ben, quiet.id, 'only ben wrote here');
    const nothing = await summarize(ana, quiet.id);
    expect([nothing.status, nothing.body.type]).toEqual([
      422,
      'https://secureconnect.dev/problems/nothing-to-summarize',
    ]);

    expect(ai().requests.length).toBe(sent);
  });

  it('sends the newest whole messages that fit AI_MAX_INPUT_BYTES, out of the last AI_MAX_MESSAGES', async () => {
    const ana = await registerAccount(server(), { displayName: 'Ana' });
    await optIn(server(), ana);
    const group = await aiGroup(server(), ana, []);
    // "Ana: m<i> " + 45 two-byte letters + a newline: 99 bytes a line, so five fit in 512.
    const bodies = Array.from({ length: 10 }, (_, i) => `m${i} ${'é'.repeat(45)}`);
    for (const body of bodies) await sendMessage(server(), ana, group.id, body);
    const response = await summarize(ana, group.id);
    expect(response.body.messageCount).toBe(5);
    expect(lastSent().conversation).toBe(
      bodies
        .slice(5)
        .map((body) => `Ana: ${body}`)
        .join('\n'),
    );
    expect(Buffer.byteLength(`${lastSent().conversation}\n`)).toBeLessThanOrEqual(MAX_INPUT_BYTES);

    // Only the last AI_MAX_MESSAGES are read: after eight short ones, no long one is.
    for (const body of ['s1', 's2', 's3', 's4', 's5', 's6', 's7', 's8'])
      await sendMessage(server(), ana, group.id, body);
    expect((await summarize(ana, group.id)).body.messageCount).toBe(8);
    expect(lastSent().conversation?.startsWith('Ana: s1\n')).toBe(true);
  });

  it('limits each user to RATE_LIMIT_AI requests', async () => {
    const ana = await registerAccount(server());
    await optIn(server(), ana);
    const group = await aiGroup(server(), ana, []);
    await sendMessage(server(), ana, group.id, 'hello');
    for (let attempt = 0; attempt < 5; attempt++) expect((await summarize(ana, group.id)).status).toBe(200);
    const limited = await summarize(ana, group.id);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('reports the model on /readyz', async () => {
    const ready = await server().request('GET', '/readyz');
    expect(ready.body.checks.ai).toEqual({ status: 'ok', detail: 'test-model' });
  });
});

describe('ai-summarize without AI configured', () => {
  let bare: TestServer;
  beforeAll(async () => {
    // The server knows where the AI is but not which model to ask: nothing may go there.
    bare = await startTestServer({
      functions: await loadFunctions(),
      env: { AI_BASE_URL: ai().baseUrl, AI_API_KEY: ai().apiKey },
    });
  });
  afterAll(() => bare?.close());

  it('answers 503 naming the missing variable, and sends nothing', async () => {
    const ana = await registerAccount(bare);
    await optIn(bare, ana);
    const group = await aiGroup(bare, ana, []);
    await sendMessage(bare, ana, group.id, 'hello');
    const sent = ai().requests.length;
    for (const what of ['summary', 'replies'] as const) {
      const response = await askAi(bare, ana, group.id, what);
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({
        type: 'https://secureconnect.dev/problems/ai-not-configured',
        missing: ['AI_MODEL'],
      });
      expect(response.body.detail).toContain('AI_MODEL');
    }
    expect(ai().requests.length).toBe(sent);
    const ready = await bare.request('GET', '/readyz');
    expect(ready.body.checks.ai).toEqual({ status: 'ok', detail: 'off (AI_MODEL unset)' });
  });
});
