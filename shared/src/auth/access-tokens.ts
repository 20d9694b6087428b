import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { UserRole } from '../db/schema';
import { unauthorized } from '../http/problem';
import { SIGNING_ALGORITHM, type SigningKeys } from './signing-keys';

/** RFC 9068 `typ` header value: marks the JWT as an access token, so no other JWT passes for one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** SPEC §8: access tokens live at most 15 minutes. */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 900;

/** Clock skew tolerated between the issuing and the verifying process. */
const CLOCK_TOLERANCE_SECONDS = 5;

/** What a verified access token says about its bearer. */
export interface AccessTokenClaims {
  userId: string;
  sessionId: string;
  role: UserRole;
  /** The `jti`, by which a single token can be revoked before it expires (logout). */
  tokenId: string;
  expiresAt: Date;
}

export interface AccessTokensOptions {
  keys: SigningKeys;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

const EXPIRED = 'The access token has expired.';
const INVALID = 'The access token is invalid.';

/**
 * Issues and verifies the short-lived EdDSA JWTs that authenticate API calls. Verification pins
 * the algorithm, issuer, audience and `typ`, so a token minted for anything else, or with any
 * other algorithm (`none`, HS256 keyed with the public key), is refused.
 */
export class AccessTokens {
  readonly #keys: SigningKeys;
  readonly #issuer: string;
  readonly #audience: string;
  readonly #ttlSeconds: number;

  constructor({ keys, issuer, audience, ttlSeconds }: AccessTokensOptions) {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_ACCESS_TOKEN_TTL_SECONDS) {
      throw new RangeError(`ttlSeconds must be a whole number from 1 to ${MAX_ACCESS_TOKEN_TTL_SECONDS}`);
    }
    this.#keys = keys;
    this.#issuer = issuer;
    this.#audience = audience;
    this.#ttlSeconds = ttlSeconds;
  }

  /** How long issued tokens live; also how long a revocation must be remembered. */
  get ttlSeconds(): number {
    return this.#ttlSeconds;
  }

  /** Whether this process holds the private key (only the auth functions do in production). */
  get canIssue(): boolean {
    return this.#keys.privateKey !== undefined;
  }

  /** Signs an access token for a session. Only processes loaded with the private key can call it. */
  async issue({
    userId,
    sessionId,
    role,
  }: {
    userId: string;
    sessionId: string;
    role: UserRole;
  }): Promise<{ token: string; expiresIn: number }> {
    const { privateKey, keyId } = this.#keys;
    if (!privateKey) throw new Error('AccessTokens.issue: this process was loaded without the private key');
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ sid: sessionId, role })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: keyId })
      .setSubject(userId)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + this.#ttlSeconds)
      .setIssuer(this.#issuer)
      .setAudience(this.#audience)
      .sign(privateKey);
    return { token, expiresIn: this.#ttlSeconds };
  }

  /**
   * Verifies a bearer token. Every failure is a 401 ProblemError whose detail only distinguishes
   * "expired" (so clients know to refresh) from "invalid"; jose's own message never reaches a client.
   */
  async verify(token: string): Promise<AccessTokenClaims> {
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, this.#keys.publicKey, {
        algorithms: [SIGNING_ALGORITHM],
        issuer: this.#issuer,
        audience: this.#audience,
        typ: ACCESS_TOKEN_TYPE,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'sid', 'role', 'jti', 'iat', 'exp'],
      }));
    } catch (error) {
      throw unauthorized(error instanceof errors.JWTExpired ? EXPIRED : INVALID);
    }
    const { sub, sid, role, jti, exp } = payload;
    if (
      typeof sub !== 'string' ||
      typeof sid !== 'string' ||
      (role !== 'user' && role !== 'admin') ||
      typeof jti !== 'string' ||
      typeof exp !== 'number'
    ) {
      throw unauthorized(INVALID);
    }
    return { userId: sub, sessionId: sid, role, tokenId: jti, expiresAt: new Date(exp * 1000) };
  }
}
