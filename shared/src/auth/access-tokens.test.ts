import { type CryptoKey, exportPKCS8, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ProblemError } from '../errors/problem';
import { AccessTokens } from './access-tokens';
import { loadSigningKeys, type SigningKeys } from './signing-keys';

const ISSUER = 'secureconnect-test';
const AUDIENCE = 'secureconnect-api-test';
const EXPIRED = 'The access token has expired.';
const INVALID = 'The access token is invalid.';

let keys: SigningKeys;
let tokens: AccessTokens;
let publicKeyPem: string;

beforeAll(async () => {
  const pair = await generateKeyPair('EdDSA', { extractable: true });
  publicKeyPem = await exportSPKI(pair.publicKey);
  keys = await loadSigningKeys({
    privateKeyPem: await exportPKCS8(pair.privateKey),
    publicKeyPem,
    dataDir: '/nonexistent',
    needPrivateKey: true,
  });
  tokens = new AccessTokens({ keys, issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900 });
});

const now = () => Math.floor(Date.now() / 1000);

/** A token exactly like the ones `issue` makes, with chosen parts overridden. */
function forge({
  header = {},
  claims = {},
  key,
}: {
  header?: Record<string, unknown>;
  claims?: JWTPayload;
  key?: CryptoKey | Uint8Array;
} = {}): Promise<string> {
  const iat = now();
  return new SignJWT({
    sub: 'user-1',
    sid: 'session-1',
    role: 'user',
    jti: 'token-1',
    iat,
    exp: iat + 60,
    iss: ISSUER,
    aud: AUDIENCE,
    ...claims,
  })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: keys.keyId, ...header })
    .sign(key ?? (keys.privateKey as CryptoKey));
}

async function rejection(token: string, verifier: AccessTokens = tokens): Promise<ProblemError> {
  const error = await verifier.verify(token).then(
    () => null,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProblemError);
  expect((error as ProblemError).status).toBe(401);
  return error as ProblemError;
}

describe('AccessTokens', () => {
  it('issues a token that verifies to the same claims', async () => {
    const { token, expiresIn } = await tokens.issue({ userId: 'u1', sessionId: 's1', role: 'admin' });
    expect(expiresIn).toBe(900);

    const claims = await tokens.verify(token);
    expect(claims).toMatchObject({ userId: 'u1', sessionId: 's1', role: 'admin' });
    expect(claims.tokenId).toMatch(/^[0-9a-f-]{36}$/);
    expect(claims.expiresAt.getTime() / 1000).toBeCloseTo(now() + 900, -1);

    const [header] = token.split('.');
    expect(JSON.parse(Buffer.from(header as string, 'base64url').toString())).toEqual({
      alg: 'EdDSA',
      typ: 'at+jwt',
      kid: keys.keyId,
    });
  });

  it('gives every token its own jti', async () => {
    const a = await tokens.issue({ userId: 'u1', sessionId: 's1', role: 'user' });
    const b = await tokens.issue({ userId: 'u1', sessionId: 's1', role: 'user' });
    expect((await tokens.verify(a.token)).tokenId).not.toBe((await tokens.verify(b.token)).tokenId);
  });

  it('accepts a forged-by-the-rules token, so the rejections below test one thing each', async () => {
    await expect(tokens.verify(await forge())).resolves.toMatchObject({ userId: 'user-1' });
  });

  it('rejects an unsecured (alg: none) token', async () => {
    const signed = await forge({ claims: { role: 'admin' } });
    const [, payload] = signed.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: keys.keyId })).toString(
      'base64url',
    );
    expect((await rejection(`${header}.${payload}.`)).message).toBe(INVALID);
  });

  it('rejects HS256 signed with the public key as the secret (algorithm confusion)', async () => {
    const forged = await forge({ header: { alg: 'HS256' }, key: new TextEncoder().encode(publicKeyPem) });
    expect((await rejection(forged)).message).toBe(INVALID);
  });

  it('rejects a token signed by another Ed25519 key', async () => {
    const other = await generateKeyPair('EdDSA');
    expect((await rejection(await forge({ key: other.privateKey }))).message).toBe(INVALID);
  });

  it('rejects an expired token with the expired detail', async () => {
    const error = await rejection(await forge({ claims: { iat: now() - 1000, exp: now() - 10 } }));
    expect(error.message).toBe(EXPIRED);
  });

  it('tolerates a few seconds of clock skew', async () => {
    await expect(tokens.verify(await forge({ claims: { exp: now() - 2 } }))).resolves.toBeDefined();
  });

  it('rejects a wrong audience', async () => {
    expect((await rejection(await forge({ claims: { aud: 'another-api' } }))).message).toBe(INVALID);
  });

  it('rejects a wrong issuer', async () => {
    expect((await rejection(await forge({ claims: { iss: 'someone-else' } }))).message).toBe(INVALID);
  });

  it('rejects a JWT that is not an access token (wrong or missing typ)', async () => {
    await rejection(await forge({ header: { typ: 'JWT' } }));
    await rejection(await forge({ header: { typ: undefined } }));
  });

  it('rejects a token with a missing or malformed claim', async () => {
    await rejection(await forge({ claims: { sid: undefined } }));
    await rejection(await forge({ claims: { jti: undefined } }));
    await rejection(await forge({ claims: { role: 'superuser' } }));
  });

  it('rejects a tampered payload', async () => {
    const { token } = await tokens.issue({ userId: 'u1', sessionId: 's1', role: 'user' });
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const elevated = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    expect((await rejection(`${header}.${elevated}.${signature}`)).message).toBe(INVALID);
  });

  it('rejects garbage without leaking the parser message', async () => {
    for (const garbage of ['', 'abc', 'a.b.c', `${'x'.repeat(10_000)}`]) {
      expect((await rejection(garbage)).message).toBe(INVALID);
    }
  });

  it('refuses to issue without the private key, and to live longer than 15 minutes', async () => {
    const verifyOnly = new AccessTokens({
      keys: { verificationKeys: keys.verificationKeys, keyId: keys.keyId },
      issuer: ISSUER,
      audience: AUDIENCE,
      ttlSeconds: 60,
    });
    await expect(verifyOnly.issue({ userId: 'u', sessionId: 's', role: 'user' })).rejects.toThrow(
      /private key/,
    );
    expect(() => new AccessTokens({ keys, issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 901 })).toThrow(
      RangeError,
    );
  });
});

describe('AccessTokens, verified tokens remembered', () => {
  // Each signature check jose makes is one Web Crypto verify, passed through and only counted:
  // the count is how these tests see a verification skipped.
  const verifications = vi.spyOn(crypto.subtle, 'verify');
  let remembering: AccessTokens;

  const withCache = (verifiedCacheSize?: number) =>
    new AccessTokens({ keys, issuer: ISSUER, audience: AUDIENCE, ttlSeconds: 900, verifiedCacheSize });

  /** What a verifier says right now: 'ok', or the detail of its 401. */
  const verdict = (verifier: AccessTokens, token: string): Promise<string> =>
    verifier.verify(token).then(
      () => 'ok',
      (error: ProblemError) => error.message,
    );

  beforeEach(() => {
    remembering = withCache();
    verifications.mockClear();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers a repeat token with equal claims and no second verification', async () => {
    const { token } = await remembering.issue({ userId: 'u1', sessionId: 's1', role: 'admin' });
    const first = await remembering.verify(token);
    first.expiresAt.setTime(0);
    first.role = 'user';

    const second = await remembering.verify(token);
    const third = await remembering.verify(token);
    expect(second).toMatchObject({ userId: 'u1', sessionId: 's1', role: 'admin' });
    expect(second.expiresAt.getTime() / 1000).toBeCloseTo(now() + 900, -1);
    expect(third).toEqual(second);
    expect(verifications).toHaveBeenCalledTimes(1);
  });

  it('refuses a remembered token once expired, with the expired detail, and forgets it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const issuedAt = 1_800_000_000;
    vi.setSystemTime(issuedAt * 1000);
    const token = await forge({ claims: { iat: issuedAt, exp: issuedAt + 60 } });
    await remembering.verify(token);

    vi.setSystemTime((issuedAt + 65) * 1000);
    expect((await rejection(token, remembering)).message).toBe(EXPIRED);
    expect(verifications).toHaveBeenCalledTimes(1);

    // Back before expiry the token is verified afresh, so the refusal dropped it.
    vi.setSystemTime(issuedAt * 1000);
    await remembering.verify(token);
    expect(verifications).toHaveBeenCalledTimes(2);
  });

  it('checks nbf and exp on a remembered token exactly as full verification does', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const issuedAt = 1_800_000_000;
    const token = await forge({ claims: { iat: issuedAt, nbf: issuedAt, exp: issuedAt + 60 } });
    const verifying = withCache(0);
    const instants: [seconds: number, expected: string][] = [
      [issuedAt - 5, 'ok'],
      [issuedAt - 6, INVALID],
      [issuedAt + 64.999, 'ok'],
      [issuedAt + 65, EXPIRED],
    ];
    for (const [seconds, expected] of instants) {
      vi.setSystemTime(issuedAt * 1000);
      await remembering.verify(token);
      vi.setSystemTime(seconds * 1000);
      verifications.mockClear();
      expect(await verdict(remembering, token)).toBe(expected);
      expect(verifications).not.toHaveBeenCalled();
      expect(await verdict(verifying, token)).toBe(expected);
    }
  });

  it('refuses a forged token every time, also while the genuine one is remembered', async () => {
    const genuine = await forge({ claims: { jti: 'token-forged-against' } });
    const [header, payload] = genuine.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const elevated = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    const tampered = `${header}.${elevated}.${genuine.split('.')[2]}`;
    const foreignlySigned = await forge({
      claims: { jti: 'token-forged-against' },
      key: (await generateKeyPair('EdDSA')).privateKey,
    });
    expect(foreignlySigned.startsWith(`${header}.${payload}.`)).toBe(true);

    await remembering.verify(genuine);
    verifications.mockClear();
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await rejection(tampered, remembering)).message).toBe(INVALID);
      expect((await rejection(foreignlySigned, remembering)).message).toBe(INVALID);
    }
    expect(verifications).toHaveBeenCalledTimes(6);
    await expect(remembering.verify(genuine)).resolves.toMatchObject({ role: 'user' });
    expect(verifications).toHaveBeenCalledTimes(6);
  });

  it('remembers at most verifiedCacheSize tokens, dropping the least recently used', async () => {
    const small = withCache(2);
    const issue = async (userId: string) =>
      (await small.issue({ userId, sessionId: 's', role: 'user' })).token;
    const [a, b, c] = [await issue('a'), await issue('b'), await issue('c')];
    await small.verify(a);
    await small.verify(b);
    await small.verify(a);
    await small.verify(c);
    verifications.mockClear();

    await small.verify(a);
    await small.verify(c);
    expect(verifications).not.toHaveBeenCalled();
    await small.verify(b);
    expect(verifications).toHaveBeenCalledTimes(1);
  });

  it('remembers nothing at size 0, and refuses a size that is not a whole number', async () => {
    const forgetful = withCache(0);
    const { token } = await forgetful.issue({ userId: 'u1', sessionId: 's1', role: 'user' });
    await forgetful.verify(token);
    await forgetful.verify(token);
    expect(verifications).toHaveBeenCalledTimes(2);
    expect(() => withCache(-1)).toThrow(RangeError);
    expect(() => withCache(1.5)).toThrow(RangeError);
  });
});
