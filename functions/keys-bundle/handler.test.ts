import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { keyUpload } from '../../shared/src/testing/keys';
import { useServer } from '../../tests/support/use-server';

const server = useServer({ RATE_LIMIT_KEY_BUNDLE: '1000/60' });
const bundle = (token: string, userId: string) => server().request('GET', `/v1/keys/${userId}`, { token });

describe('keys-bundle', () => {
  it('returns the bundle and consumes one one-time prekey per request', async () => {
    const [alice, bob] = [await registerAccount(server()), await registerAccount(server())];
    const keys = keyUpload(2);
    await server().request('PUT', '/v1/keys', { token: bob.accessToken, body: keys });
    const first = await bundle(alice.accessToken, bob.id);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      userId: bob.id,
      identityKey: keys.identityKey,
      signedPrekey: keys.signedPrekey,
      oneTimePrekey: keys.oneTimePrekeys[0],
    });
    expect((await bundle(alice.accessToken, bob.id)).body.oneTimePrekey).toEqual(keys.oneTimePrekeys[1]);
    const exhausted = await bundle(alice.accessToken, bob.id);
    expect(exhausted.status).toBe(200);
    expect(exhausted.body.oneTimePrekey).toBeNull();
  });

  it('hands each one-time prekey to exactly one of 50 concurrent requests', async () => {
    const bob = await registerAccount(server());
    const keys = keyUpload(30);
    await server().request('PUT', '/v1/keys', { token: bob.accessToken, body: keys });
    const requesters = await Promise.all(Array.from({ length: 5 }, () => registerAccount(server())));
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        bundle(requesters[index % requesters.length]!.accessToken, bob.id),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    const handedOut = responses
      .map((response) => response.body.oneTimePrekey?.keyId)
      .filter((id) => id !== undefined);
    expect(new Set(handedOut).size).toBe(handedOut.length);
    expect(handedOut.length).toBeLessThanOrEqual(30);
    const left = (await server().request('GET', '/v1/keys/me/count', { token: bob.accessToken })).body.count;
    expect(handedOut.length + left).toBe(30);
  });

  it('answers 404 for users without keys, unknown users, and across a block', async () => {
    const [alice, bob, carol] = [
      await registerAccount(server()),
      await registerAccount(server()),
      await registerAccount(server()),
    ];
    expect((await bundle(alice.accessToken, bob.id)).status).toBe(404);
    expect((await bundle(alice.accessToken, crypto.randomUUID())).status).toBe(404);
    await server().request('PUT', '/v1/keys', { token: carol.accessToken, body: keyUpload(3) });
    await server().request('PUT', `/v1/users/${alice.id}/block`, { token: carol.accessToken });
    expect((await bundle(alice.accessToken, carol.id)).status).toBe(404);
    expect((await bundle(bob.accessToken, carol.id)).status).toBe(200);
    expect((await bundle(alice.accessToken, 'not-a-uuid')).status).toBe(400);
  });
});
