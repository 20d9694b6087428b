import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPKCS8, exportSPKI, generateKeyPair } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/env';
import { AccessTokens } from './access-tokens';
import { EMBEDDED_KEY_FILE, loadSigningKeys } from './signing-keys';

async function pemPair() {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  return { privateKeyPem: await exportPKCS8(privateKey), publicKeyPem: await exportSPKI(publicKey) };
}

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'sc-keys-'));
});
afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('loadSigningKeys', () => {
  it('embedded mode generates a key once, persists it 0600, and reloads the same key', async () => {
    const first = await loadSigningKeys({ dataDir, needPrivateKey: true });
    const path = join(dataDir, EMBEDDED_KEY_FILE);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toContain('BEGIN PRIVATE KEY');

    const again = await loadSigningKeys({ dataDir, needPrivateKey: true });
    expect(again.keyId).toBe(first.keyId);

    // A token from the first "process" verifies in a verify-only second one sharing DATA_DIR.
    const options = { issuer: 'i', audience: 'a', ttlSeconds: 60 };
    const { token } = await new AccessTokens({ keys: first, ...options }).issue({
      userId: 'u',
      sessionId: 's',
      role: 'user',
    });
    const verifier = await loadSigningKeys({ dataDir, needPrivateKey: false });
    expect(verifier.privateKey).toBeUndefined();
    await expect(new AccessTokens({ keys: verifier, ...options }).verify(token)).resolves.toMatchObject({
      userId: 'u',
    });
  });

  it('processes starting together on one DATA_DIR agree on a single key', async () => {
    const loaded = await Promise.all(
      Array.from({ length: 5 }, () => loadSigningKeys({ dataDir, needPrivateKey: true })),
    );
    expect(new Set(loaded.map((keys) => keys.keyId)).size).toBe(1);
  });

  it('derives the public key from JWT_PRIVATE_KEY alone', async () => {
    const { privateKeyPem, publicKeyPem } = await pemPair();
    const fromPrivate = await loadSigningKeys({ privateKeyPem, dataDir, needPrivateKey: true });
    const fromPublic = await loadSigningKeys({ publicKeyPem, dataDir, needPrivateKey: false });
    expect(fromPrivate.privateKey).toBeDefined();
    expect(fromPrivate.keyId).toBe(fromPublic.keyId);
  });

  it('accepts a matching pair and rejects a mismatched one, naming JWT_PUBLIC_KEY', async () => {
    const a = await pemPair();
    const b = await pemPair();
    await expect(loadSigningKeys({ ...a, dataDir, needPrivateKey: true })).resolves.toHaveProperty(
      'privateKey',
    );
    const mismatched = loadSigningKeys({
      privateKeyPem: a.privateKeyPem,
      publicKeyPem: b.publicKeyPem,
      dataDir,
      needPrivateKey: true,
    });
    await expect(mismatched).rejects.toThrow(ConfigError);
    await expect(mismatched).rejects.toThrow(/^JWT_PUBLIC_KEY:/);
  });

  it('rotates with overlap: tokens of the old and the new key verify while JWT_PUBLIC_KEY holds both', async () => {
    const [old, next] = [await pemPair(), await pemPair()];
    const options = { issuer: 'i', audience: 'a', ttlSeconds: 60 };
    const issue = async (pair: typeof old) =>
      (
        await new AccessTokens({
          keys: await loadSigningKeys({ privateKeyPem: pair.privateKeyPem, dataDir, needPrivateKey: true }),
          ...options,
        }).issue({ userId: 'u', sessionId: 's', role: 'user' })
      ).token;
    const verifier = async (publicKeyPem: string) =>
      new AccessTokens({
        keys: await loadSigningKeys({ publicKeyPem, dataDir, needPrivateKey: false }),
        ...options,
      });
    const [oldToken, newToken] = [await issue(old), await issue(next)];

    // 1. Verifiers learn the new key beside the old; 2. the issuer switches; 3. the old key goes.
    const both = await verifier(`${old.publicKeyPem}\n${next.publicKeyPem}`);
    await expect(both.verify(oldToken)).resolves.toMatchObject({ userId: 'u' });
    await expect(both.verify(newToken)).resolves.toMatchObject({ userId: 'u' });
    const issuing = await loadSigningKeys({
      privateKeyPem: next.privateKeyPem,
      publicKeyPem: `${old.publicKeyPem}\n${next.publicKeyPem}`,
      dataDir,
      needPrivateKey: true,
    });
    expect([...issuing.verificationKeys.keys()]).toHaveLength(2);
    const onlyNew = await verifier(next.publicKeyPem);
    await expect(onlyNew.verify(newToken)).resolves.toMatchObject({ userId: 'u' });
    await expect(onlyNew.verify(oldToken)).rejects.toThrow(/invalid/i);
    // The issuer's own key must be among those it announces.
    const without = loadSigningKeys({
      privateKeyPem: next.privateKeyPem,
      publicKeyPem: old.publicKeyPem,
      dataDir,
      needPrivateKey: true,
    });
    await expect(without).rejects.toThrow(/^JWT_PUBLIC_KEY: does not include/);
  });

  it('refuses to start a token-issuing process with only the public key', async () => {
    const { publicKeyPem } = await pemPair();
    await expect(loadSigningKeys({ publicKeyPem, dataDir, needPrivateKey: true })).rejects.toThrow(
      /^JWT_PRIVATE_KEY:/,
    );
  });

  it('reports a key of the wrong kind as a ConfigError', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const load = loadSigningKeys({
      privateKeyPem: await exportPKCS8(privateKey),
      dataDir,
      needPrivateKey: true,
    });
    await expect(load).rejects.toThrow(ConfigError);
    await expect(load).rejects.toThrow(/^JWT_PRIVATE_KEY: must be an Ed25519/);
  });
});
