import { describe, expect, it } from 'vitest';
import { useServer } from '../../tests/support/use-server';

// With LiveKit configured, tests/e2e/calls-livekit.test.ts drives signed webhooks from a LiveKit fake.
const server = useServer();

describe('livekit-webhook', () => {
  it('is not found where no LiveKit is configured, and never takes unsigned input as call state', async () => {
    const response = await server().request('POST', '/v1/webhooks/livekit', {
      body: { event: 'room_finished', room: { name: 'call-x' } },
      headers: { 'content-type': 'application/webhook+json' },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const malformed = await server().request('POST', '/v1/webhooks/livekit', {
      rawBody: '{"event":',
      headers: { 'content-type': 'application/webhook+json' },
    });
    expect(malformed.status).toBe(400);
  });
});
