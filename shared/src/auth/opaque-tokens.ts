import { createHash, randomBytes } from 'node:crypto';

/**
 * A new bearer secret (refresh token, email verification or password-reset token): 256 random
 * bits, base64url. Only `hash` is stored, so a leaked database cannot be replayed as tokens.
 */
export function newOpaqueToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashOpaqueToken(token) };
}

/**
 * The stored form of an opaque token: SHA-256, base64url. A plain fast hash suffices (no salt, no
 * argon2) because the input already carries 256 bits of entropy; it also keeps lookups by hash exact.
 */
export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
