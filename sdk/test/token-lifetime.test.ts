import { describe, expect, it } from 'vitest';
import { remainingLifetimeMs, renewalDelayMs, tokenTimes } from '../src/token-lifetime';

/** An unsigned JWT with these claims: the SDK reads tokens, it never verifies them. */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'EdDSA', typ: 'at+jwt' })}.${part(claims)}.c2lnbmF0dXJl`;
}

describe('tokenTimes', () => {
  it('reads exp and iat of a JWT, in ms', () => {
    expect(tokenTimes(jwt({ sub: 'u', iat: 1_700_000_000, exp: 1_700_000_900 }))).toEqual({
      issuedAtMs: 1_700_000_000_000,
      expiresAtMs: 1_700_000_900_000,
    });
  });

  it('reads base64url payloads that need - and _ and no padding', () => {
    // Claims chosen so the payload's base64url holds '-' or '_' and is not a multiple of 4 long.
    const token = jwt({ exp: 2_000_000_000, name: 'ü>?~~~ÿ', n: 1 });
    expect(token.split('.')[1]).toMatch(/[-_]/);
    expect(tokenTimes(token)).toEqual({ issuedAtMs: undefined, expiresAtMs: 2_000_000_000_000 });
  });

  it.each([
    ['an opaque token', 'access-1'],
    ['a token of two parts', 'a.b'],
    ['a payload that is not base64', 'a.!!!.c'],
    ['a payload that is not JSON', `a.${Buffer.from('nope').toString('base64url')}.c`],
    ['no exp', jwt({ iat: 1 })],
    ['an exp that is not a number', jwt({ exp: '1700000000' })],
  ])('is undefined for %s', (_what, token) => {
    expect(tokenTimes(token)).toBeUndefined();
  });
});

describe('remainingLifetimeMs', () => {
  const token = jwt({ iat: 1000, exp: 1900 }); // a 900 s token, issued at t = 1000 s (server clock)

  it('compares exp with the local clock when it is not known when the token arrived', () => {
    expect(remainingLifetimeMs(token, 1_600_000)).toBe(300_000);
    expect(remainingLifetimeMs(token, 2_000_000)).toBe(-100_000);
  });

  it('counts the lifetime from its arrival otherwise, whatever the device clock says', () => {
    // A device clock an hour ahead: received at its 4_600 s, 60 s ago.
    expect(remainingLifetimeMs(token, 4_660_000, 4_600_000)).toBe(840_000);
  });

  it('is undefined for a token it cannot read', () => {
    expect(remainingLifetimeMs('access-1', 0, 0)).toBeUndefined();
  });
});

describe('renewalDelayMs', () => {
  it('renews at 80 % of a long lifetime', () => {
    expect(renewalDelayMs(900_000)).toBe(720_000);
    expect(renewalDelayMs(300_000)).toBe(240_000);
  });

  it('renews 30 s before expiry when that comes before 80 %', () => {
    expect(renewalDelayMs(120_000)).toBe(90_000);
    expect(renewalDelayMs(60_000)).toBe(30_000);
  });

  it('waits for half of a short lifetime, so a token of 30 s or less is not renewed in a loop', () => {
    expect(renewalDelayMs(30_000)).toBe(15_000);
    expect(renewalDelayMs(40_000)).toBe(20_000);
    expect(renewalDelayMs(2_000)).toBe(1_000);
  });

  it('renews at once a token that has expired, never in the past', () => {
    expect(renewalDelayMs(0)).toBe(0);
    expect(renewalDelayMs(-5_000)).toBe(0);
    expect(renewalDelayMs(Number.NaN)).toBe(0);
  });

  it('stays within what setTimeout can wait', () => {
    expect(renewalDelayMs(365 * 24 * 3600 * 1000)).toBe(2_147_483_647);
  });
});
