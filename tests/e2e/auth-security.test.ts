import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, importPKCS8, importSPKI, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFunctions } from '../../scripts/lib/function-catalog';
import { registerAccount, tokenFromMail } from '../../shared/src/testing/accounts';
import { startTestServer, type TestServer } from '../../shared/src/testing/test-server';

const pem = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
};
const serverKeys = pem();
const foreignKeys = pem();
const ISSUER = 'secureconnect';
const AUDIENCE = 'secureconnect-api';
const LOCKOUT_SECONDS = 3;

/** The `kid` the server puts on its tokens: the RFC 7638 thumbprint of its public key. */
const serverKeyId = importSPKI(serverKeys.publicKey, 'EdDSA', { extractable: true }).then(async (key) =>
  calculateJwkThumbprint(await exportJWK(key)),
);

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({
    functions: await loadFunctions(),
    env: {
      JWT_PRIVATE_KEY: serverKeys.privateKey,
      JWT_PUBLIC_KEY: serverKeys.publicKey,
      LOCKOUT_SECONDS: String(LOCKOUT_SECONDS),
    },
  });
});
afterAll(() => server?.close());

async function forge(
  claims: { sub: string; sid: string },
  options: {
    key?: string;
    kid?: string | null;
    issuer?: string;
    audience?: string;
    expiresAt?: number;
    typ?: string;
  } = {},
) {
  const key = await importPKCS8(options.key ?? serverKeys.privateKey, 'EdDSA');
  const kid = options.kid === undefined ? await serverKeyId : (options.kid ?? undefined);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: claims.sid, role: 'admin' })
    .setProtectedHeader({ alg: 'EdDSA', typ: options.typ ?? 'at+jwt', ...(kid && { kid }) })
    .setSubject(claims.sub)
    .setJti(crypto.randomUUID())
    .setIssuedAt(now - 60)
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE)
    .setExpirationTime(options.expiresAt ?? now + 300)
    .sign(key);
}

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string; sid: string };

describe('access tokens', () => {
  it('accepts a token forged correctly with the server key (control case)', async () => {
    const account = await registerAccount(server);
    const token = await forge(claimsOf(account.accessToken));
    expect((await server.request('GET', '/v1/users/me', { token })).status).toBe(200);
  });

  it.each([
    [
      'alg: none',
      async (claims: { sub: string; sid: string }) =>
        new UnsecuredJWT({ sid: claims.sid, role: 'user' })
          .setSubject(claims.sub)
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('5m')
          .encode(),
    ],
    [
      'HS256 keyed with the public key',
      async (claims: { sub: string; sid: string }) =>
        new SignJWT({ sid: claims.sid, role: 'user' })
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
          .setSubject(claims.sub)
          .setJti('x')
          .setIssuedAt()
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setExpirationTime('5m')
          .sign(new TextEncoder().encode(serverKeys.publicKey)),
    ],
    [
      'a foreign key',
      (claims: { sub: string; sid: string }) => forge(claims, { key: foreignKeys.privateKey }),
    ],
    [
      'an expired token',
      (claims: { sub: string; sid: string }) =>
        forge(claims, { expiresAt: Math.floor(Date.now() / 1000) - 60 }),
    ],
    [
      'the wrong audience',
      (claims: { sub: string; sid: string }) => forge(claims, { audience: 'another-api' }),
    ],
    ['a token naming no key', (claims: { sub: string; sid: string }) => forge(claims, { kid: null })],
    [
      'a token naming an unknown key',
      (claims: { sub: string; sid: string }) => forge(claims, { kid: 'not-a-key-we-hold' }),
    ],
    ['the wrong issuer', (claims: { sub: string; sid: string }) => forge(claims, { issuer: 'evil' })],
    ['the wrong token type', (claims: { sub: string; sid: string }) => forge(claims, { typ: 'JWT' })],
  ])('refuses %s with 401', async (_name, make) => {
    const account = await registerAccount(server);
    const token = await make(claimsOf(account.accessToken));
    const response = await server.request('GET', '/v1/users/me', { token });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('refuses an access token after logout', async () => {
    const account = await registerAccount(server);
    expect((await server.request('POST', '/v1/auth/logout', { token: account.accessToken })).status).toBe(
      204,
    );
    const response = await server.request('GET', '/v1/users/me', { token: account.accessToken });
    expect(response.status).toBe(401);
    expect(response.body.detail).toMatch(/session has ended/);
  });
});

describe('refresh tokens', () => {
  it('revokes the whole family when a spent refresh token is presented again', async () => {
    const account = await registerAccount(server);
    const first = await server.request('POST', '/v1/auth/refresh', {
      body: { refreshToken: account.refreshToken },
    });
    expect(first.status).toBe(200);
    const second = await server.request('POST', '/v1/auth/refresh', {
      body: { refreshToken: first.body.refreshToken },
    });
    expect(second.status).toBe(200);

    const replay = await server.request('POST', '/v1/auth/refresh', {
      body: { refreshToken: account.refreshToken },
    });
    expect(replay.status).toBe(401);
    expect(replay.body.detail).toMatch(/already used/);

    // Every token of the family is now dead: the newest refresh token and every access token.
    expect(
      (await server.request('POST', '/v1/auth/refresh', { body: { refreshToken: second.body.refreshToken } }))
        .status,
    ).toBe(401);
    for (const token of [account.accessToken, first.body.accessToken, second.body.accessToken]) {
      expect((await server.request('GET', '/v1/users/me', { token })).status).toBe(401);
    }
    const audit = await auditEvents(account.id);
    expect(audit).toContain('refresh-token.reused');
  });

  it('refuses an unknown refresh token', async () => {
    const response = await server.request('POST', '/v1/auth/refresh', {
      body: { refreshToken: 'not-a-token' },
    });
    expect(response.status).toBe(401);
  });
});

async function auditEvents(subjectId: string): Promise<string[]> {
  const audit = await server.server.platform.auditLog();
  return (await audit.list({ limit: 100, subjectId })).map((entry) => entry.event);
}

describe('login', () => {
  it('answers an unknown email and a wrong password identically', async () => {
    const account = await registerAccount(server);
    const unknown = await server.request('POST', '/v1/auth/login', {
      body: { email: 'nobody@example.test', password: 'whatever password' },
    });
    const wrong = await server.request('POST', '/v1/auth/login', {
      body: { email: account.email, password: 'whatever password' },
    });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const strip = ({ instance: _, ...rest }: Record<string, unknown>) => rest;
    expect(strip(unknown.body)).toEqual(strip(wrong.body));
  });

  it('locks the account after 5 wrong passwords, refuses even the right one with 429 + Retry-After, and audits it', async () => {
    const account = await registerAccount(server);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const response = await server.request('POST', '/v1/auth/login', {
        body: { email: account.email, password: 'wrong password!' },
      });
      expect(response.status).toBe(401);
    }
    const locked = await server.request('POST', '/v1/auth/login', {
      body: { email: account.email, password: account.password },
    });
    expect(locked.status).toBe(429);
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(LOCKOUT_SECONDS);

    const events = await auditEvents(account.id);
    expect(events.filter((event) => event === 'login.failed')).toHaveLength(5);
    expect(events).toContain('account.locked');
    expect(events).toContain('login.locked');

    await new Promise((resolve) => setTimeout(resolve, (retryAfter + 0.5) * 1000));
    const unlocked = await server.request('POST', '/v1/auth/login', {
      body: { email: account.email, password: account.password },
    });
    expect(unlocked.status).toBe(200);
  });

  it('lets a locked-out user reset the password and log in at once', async () => {
    const account = await registerAccount(server);
    for (let attempt = 1; attempt <= 5; attempt++) {
      await server.request('POST', '/v1/auth/login', {
        body: { email: account.email, password: 'wrong password!' },
      });
    }
    expect(
      (await server.request('POST', '/v1/auth/password-reset', { body: { email: account.email } })).status,
    ).toBe(202);
    const token = await tokenFromMail(server, account.email, /reset your password/i);
    const newPassword = 'a brand new passphrase';
    expect(
      (await server.request('POST', '/v1/auth/password-reset/confirm', { body: { token, newPassword } }))
        .status,
    ).toBe(204);
    expect((await server.request('GET', '/v1/users/me', { token: account.accessToken })).status).toBe(401);
    const login = await server.request('POST', '/v1/auth/login', {
      body: { email: account.email, password: newPassword },
    });
    expect(login.status).toBe(200);
    expect(
      (await server.request('POST', '/v1/auth/password-reset/confirm', { body: { token, newPassword } }))
        .status,
    ).toBe(400);
  });
});

describe('password reset', () => {
  it('always answers 202, for known and unknown addresses alike', async () => {
    const account = await registerAccount(server);
    const known = await server.request('POST', '/v1/auth/password-reset', { body: { email: account.email } });
    const unknown = await server.request('POST', '/v1/auth/password-reset', {
      body: { email: `nobody-${crypto.randomUUID()}@example.test` },
    });
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(known.body).toEqual(unknown.body);
  });
});
