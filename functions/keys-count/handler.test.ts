import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { keyUpload } from '../../shared/src/testing/keys';
import { useServer } from '../../tests/support/use-server';

const server = useServer({ RATE_LIMIT_KEY_BUNDLE: '2/60' });
const count = (token: string) => server().request('GET', '/v1/keys/me/count', { token });

describe('keys-count', () => {
  it("counts only the caller's remaining one-time prekeys", async () => {
    const [alice, bob] = [await registerAccount(server()), await registerAccount(server())];
    expect((await count(alice.accessToken)).body).toEqual({ count: 0 });
    await server().request('PUT', '/v1/keys', { token: alice.accessToken, body: keyUpload(4) });
    await server().request('GET', `/v1/keys/${alice.id}`, { token: bob.accessToken });
    expect((await count(alice.accessToken)).body).toEqual({ count: 3 });
    expect((await count(bob.accessToken)).body).toEqual({ count: 0 });
  });

  it('rate-limits bundle fetches so nobody drains the prekeys', async () => {
    const [alice, bob] = [await registerAccount(server()), await registerAccount(server())];
    await server().request('PUT', '/v1/keys', { token: alice.accessToken, body: keyUpload(10) });
    const statuses = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      statuses.push(
        (await server().request('GET', `/v1/keys/${alice.id}`, { token: bob.accessToken })).status,
      );
    }
    expect(statuses).toEqual([200, 200, 429]);
    expect((await count(alice.accessToken)).body).toEqual({ count: 8 });
  });

  it('needs an access token', async () => {
    expect((await server().request('GET', '/v1/keys/me/count')).status).toBe(401);
  });
});
