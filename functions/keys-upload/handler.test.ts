import { describe, expect, it } from 'vitest';
import { registerAccount } from '../../shared/src/testing/accounts';
import { keyUpload } from '../../shared/src/testing/keys';
import { useServer } from '../../tests/support/use-server';

const server = useServer();
const upload = (token: string, body: unknown) => server().request('PUT', '/v1/keys', { token, body });
const count = async (token: string) =>
  (await server().request('GET', '/v1/keys/me/count', { token })).body.count;

describe('keys-upload', () => {
  it('publishes keys and adds one-time prekeys, ignoring ids already stored', async () => {
    const me = await registerAccount(server());
    const first = keyUpload(10);
    expect((await upload(me.accessToken, first)).status).toBe(204);
    expect(await count(me.accessToken)).toBe(10);
    expect(
      (await upload(me.accessToken, { ...keyUpload(5, 8), identityKey: first.identityKey })).status,
    ).toBe(204);
    expect(await count(me.accessToken)).toBe(12);
  });

  it('drops the old one-time prekeys when the identity key changes', async () => {
    const me = await registerAccount(server());
    await upload(me.accessToken, keyUpload(10));
    await upload(me.accessToken, keyUpload(3, 100));
    expect(await count(me.accessToken)).toBe(3);
  });

  it('validates keys, ids and batch sizes', async () => {
    const me = await registerAccount(server());
    const notBase64 = await upload(me.accessToken, { ...keyUpload(1), identityKey: 'not base64!' });
    expect(notBase64.status).toBe(400);
    expect(notBase64.body.errors[0].field).toBe('body.identityKey');
    const tooMany = await upload(me.accessToken, keyUpload(101));
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors[0].field).toBe('body.oneTimePrekeys');
    const repeated = keyUpload(2);
    repeated.oneTimePrekeys[1]!.keyId = repeated.oneTimePrekeys[0]!.keyId;
    expect((await upload(me.accessToken, repeated)).status).toBe(400);
    const missing = await upload(me.accessToken, { identityKey: 'AAAA' });
    expect(missing.body.errors).toEqual([{ field: 'body.signedPrekey', message: 'is required' }]);
  });

  it('caps how many one-time prekeys may be stored', async () => {
    const me = await registerAccount(server());
    const identityKey = keyUpload(0).identityKey;
    for (let batch = 0; batch < 10; batch++) {
      expect((await upload(me.accessToken, keyUpload(100, batch * 100, identityKey))).status).toBe(204);
    }
    const over = await upload(me.accessToken, keyUpload(1, 5000, identityKey));
    expect(over.status).toBe(409);
  });

  it('needs an access token', async () => {
    expect((await upload('', keyUpload(1))).status).toBe(401);
  });
});
