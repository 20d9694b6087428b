import { describe, expect, it } from 'vitest';
import { hashOpaqueToken, newOpaqueToken } from './opaque-tokens';

describe('opaque tokens', () => {
  it('are 32 random bytes, base64url, stored as their SHA-256', () => {
    const { token, hash } = newOpaqueToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(hashOpaqueToken(token)).toBe(hash);
    expect(newOpaqueToken().token).not.toBe(token);
  });
});
