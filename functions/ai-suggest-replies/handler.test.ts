import { describe, expect, it } from 'vitest';
import { registerAccount, type TestAccount } from '../../shared/src/testing/accounts';
import { metricValue } from '../../shared/src/testing/observability';
import { AI_TIMEOUT_MS, aiGroup, askAi, optIn, useAiServer } from '../../tests/support/ai';
import { sendMessage } from '../../tests/support/conversations';

const { server, ai } = useAiServer({ RATE_LIMIT_AI: '1000/60' });
/** Past AI_TIMEOUT_MS, what a loaded machine may add before the 503 leaves; a bound, not a benchmark. */
const MARGIN_MS = 2000;

/** A caller who opted in, in an AI-enabled group with one message of theirs and one of an opted-out member. */
async function chat(name = 'Ana Consenting') {
  const ana = await registerAccount(server(), { displayName: name });
  const eve = await registerAccount(server(), { displayName: 'Eve Private' });
  await optIn(server(), ana);
  const group = await aiGroup(server(), ana, [eve]);
  await sendMessage(server(), eve, group.id, 'my door code is 4711');
  await sendMessage(server(), ana, group.id, 'Lunch at noon?');
  return { ana, group };
}

const suggest = (caller: TestAccount, conversationId: string) =>
  askAi(server(), caller, conversationId, 'replies');

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await run();
  return { result, ms: performance.now() - started };
}

describe('ai-suggest-replies', () => {
  it('asks for three replies for the caller and answers them trimmed, distinct, from a fenced JSON array', async () => {
    const { ana, group } = await chat();
    ai().answer(
      '```json\n["Sure, noon is fine!", "  Sure, noon is fine!  ", "Can we do 1pm?", "Where?", "Extra"]\n```',
    );
    const response = await suggest(ana, group.id);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      suggestions: ['Sure, noon is fine!', 'Can we do 1pm?', 'Where?'],
      model: 'test-model',
    });
    const body = ai().requests.at(-1)?.body as { messages: Array<{ role: string; content: string }> };
    const [system, user] = body.messages;
    expect(system?.content).toContain('exactly 3');
    expect(system?.content).toContain('JSON array');
    expect(system?.content).toContain('Ana Consenting');
    expect(user?.content).toBe('Ana Consenting: Lunch at noon?');
    for (const absent of ['Eve Private', '4711']) expect(JSON.stringify(body)).not.toContain(absent);
  });

  it('falls back to one suggestion per line, and clips long ones to 300 characters', async () => {
    const { ana, group } = await chat();
    ai().answer(`Here are three replies:\n1. Sounds good\n- "See you there"\n* ${'a'.repeat(400)}`);
    const response = await suggest(ana, group.id);
    expect(response.status).toBe(200);
    const [first, second, third] = response.body.suggestions as string[];
    expect([first, second]).toEqual(['Sounds good', 'See you there']);
    expect(third).toBe(`${'a'.repeat(299)}…`);
  });

  it('answers 503 with Retry-After when the server is down, fails, hangs or answers garbage — within the timeout', async () => {
    const { ana, group } = await chat();
    const metrics = server().server.platform.metrics;
    const failures = [
      { name: 'down', result: 'unavailable', before: () => ai().stop(), after: () => ai().start() },
      { name: '500', result: 'unavailable', before: () => ai().fail(500), after: () => ai().recover() },
      { name: '429', result: 'unavailable', before: () => ai().fail(429), after: () => ai().recover() },
      {
        name: 'html',
        result: 'unavailable',
        before: () => ai().answerRaw('<html>Bad gateway</html>', 'text/html'),
        after: () => ai().recover(),
      },
      {
        name: 'no choices',
        result: 'unavailable',
        before: () => ai().answerRaw('{"object":"chat.completion","choices":[]}'),
        after: () => ai().recover(),
      },
      {
        name: 'broken JSON',
        result: 'unavailable',
        before: () => ai().answerRaw('{"choices": [{"message"'),
        after: () => ai().recover(),
      },
      {
        name: 'blank',
        result: 'unavailable',
        before: () => ai().answer('   '),
        after: () => ai().answer('ok'),
      },
      { name: 'hang', result: 'timeout', before: () => ai().hang(), after: () => ai().recover() },
    ];
    for (const failure of failures) {
      await failure.before();
      const counted = await metricValue(metrics.aiRequestsTotal, { result: failure.result });
      const { result: response, ms } = await timed(() => suggest(ana, group.id));
      await failure.after();
      expect({ failure: failure.name, status: response.status, type: response.body.type }).toEqual({
        failure: failure.name,
        status: 503,
        type: 'https://secureconnect.dev/problems/ai-unavailable',
      });
      expect(response.headers.get('retry-after'), failure.name).toBe('5');
      expect(ms, failure.name).toBeLessThan(AI_TIMEOUT_MS + MARGIN_MS);
      if (failure.name === 'hang') expect(ms).toBeGreaterThanOrEqual(AI_TIMEOUT_MS - 50);
      expect(await metricValue(metrics.aiRequestsTotal, { result: failure.result }), failure.name).toBe(
        counted + 1,
      );
    }
    expect((await suggest(ana, group.id)).status).toBe(200);
  });

  it('treats a refusal (a revoked key) as a configuration fault: 503, logged at error without the key', async () => {
    const { ana, group } = await chat();
    const metrics = server().server.platform.metrics;
    const refused = await metricValue(metrics.aiRequestsTotal, { result: 'refused' });
    const key = ai().apiKey;
    ai().apiKey = 'sk-rotated';
    const response = await suggest(ana, group.id);
    ai().apiKey = key;
    expect(response.status).toBe(503);
    expect(response.body.type).toBe('https://secureconnect.dev/problems/ai-unavailable');
    expect(response.headers.get('retry-after')).toBe('30');
    expect(ai().requests.at(-1)?.status).toBe(401);
    expect(await metricValue(metrics.aiRequestsTotal, { result: 'refused' })).toBe(refused + 1);
    const fault = server().logs.find((line) => String(line.msg).includes('configuration fault'));
    expect(fault).toMatchObject({ level: 'error', ai: { status: 401, code: 'invalid_api_key' } });
    expect(JSON.stringify(server().logs)).not.toContain(key);
  });
});
