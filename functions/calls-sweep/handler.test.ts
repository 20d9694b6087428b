import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { openDirect } from '../../tests/support/conversations';
import { useServer } from '../../tests/support/use-server';

const server = useServer({ CALL_RING_TIMEOUT_SECONDS: '1' });
const sweep = () => server().request('POST', '/function/calls-sweep');
const call = (token: string, callId: string) =>
  server().request('POST', `/v1/calls/${callId}/join`, { token });

describe('calls-sweep', () => {
  it('ends a call nobody answered (missed) and one nobody is connected to any more (empty)', async () => {
    const [ana, ben] = [await registerAccount(server()), await registerAccount(server())];
    const first = await openDirect(server(), ana, ben);
    const unanswered = await server().request('POST', `/v1/conversations/${first.id}/calls`, {
      token: ana.accessToken,
      body: {},
    });
    const [cid, dee] = [await registerAccount(server()), await registerAccount(server())];
    const second = await openDirect(server(), cid, dee);
    const abandoned = await server().request('POST', `/v1/conversations/${second.id}/calls`, {
      token: cid.accessToken,
      body: {},
    });
    await call(dee.accessToken, abandoned.body.callId);
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const swept = await sweep();
    expect(swept.status).toBe(200);
    expect(swept.body.ended).toBeGreaterThanOrEqual(2);
    const events = async (token: string, id: string) =>
      (await server().request('GET', `/v1/conversations/${id}/events`, { token })).body.items.at(-1);
    expect(await events(ana.accessToken, first.id)).toMatchObject({
      event: 'call.ended',
      actorId: null,
      data: { callId: unanswered.body.callId, reason: 'missed', endedBy: null },
    });
    // Neither of them has a socket open: nobody is in the call.
    expect(await events(cid.accessToken, second.id)).toMatchObject({
      event: 'call.ended',
      data: { callId: abandoned.body.callId, reason: 'empty' },
    });
    expect((await sweep()).body.ended).toBe(0);
  });

  it('is internal: not served under a public path', async () => {
    expect((await server().request('POST', '/v1/calls-sweep')).status).toBe(404);
  });
});
