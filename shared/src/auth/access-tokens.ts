import { type CryptoKey, errors, type JWTHeaderParameters, jwtVerify, SignJWT } from 'jose';
import type { UserRole } from '../db/schema';
import { unauthorized } from '../errors/problem';
import { SIGNING_ALGORITHM } from './public-keys';
import type { SigningKeys } from './signing-keys';

/** RFC 9068 `typ` header value: marks the JWT as an access token, so no other JWT passes for one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** SPEC §8: access tokens live at most 15 minutes. */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 900;

/** Clock skew tolerated between the issuing and the verifying process. */
const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * How many verified tokens an AccessTokens remembers unless told otherwise. An entry is one token
 * (about half a kilobyte) and its claims, so a full cache costs around ten megabytes. A process
 * seeing more distinct tokens than this within a token lifetime only loses hits, never correctness.
 */
export const DEFAULT_VERIFIED_CACHE_SIZE = 10_000;

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
  /** How many verified tokens to remember, least recently used dropped first; 0 remembers none. */
  verifiedCacheSize?: number;
}

/** A token that passed full verification, with the time claims that must hold again at each use. */
interface VerifiedToken {
  claims: Omit<AccessTokenClaims, 'expiresAt'>;
  exp: number;
  nbf: number | undefined;
}

const EXPIRED = 'The access token has expired.';
const INVALID = 'The access token is invalid.';

/**
 * Issues and verifies the short-lived EdDSA JWTs that authenticate API calls. Verification pins
 * the algorithm, issuer, audience and `typ`, so a token minted for anything else, or with any
 * other algorithm (`none`, HS256 keyed with the public key), is refused.
 *
 * Clients send the same token for its whole lifetime, so tokens that passed verification are
 * remembered and a repeat skips the signature check (a WebCrypto job on the libuv thread pool).
 */
export class AccessTokens {
  readonly #keys: SigningKeys;
  readonly #issuer: string;
  readonly #audience: string;
  readonly #ttlSeconds: number;
  readonly #verifiedCacheSize: number;
  /**
   * Exact token string → what verifying it established, in least-recently-used order. Safe without
   * keying by signing key: SigningKeys never change within an instance (rotation is a restart).
   */
  readonly #verified = new Map<string, VerifiedToken>();

  constructor({
    keys,
    issuer,
    audience,
    ttlSeconds,
    verifiedCacheSize = DEFAULT_VERIFIED_CACHE_SIZE,
  }: AccessTokensOptions) {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_ACCESS_TOKEN_TTL_SECONDS) {
      throw new RangeError(`ttlSeconds must be a whole number from 1 to ${MAX_ACCESS_TOKEN_TTL_SECONDS}`);
    }
    if (!Number.isInteger(verifiedCacheSize) || verifiedCacheSize < 0) {
      throw new RangeError('verifiedCacheSize must be a whole number, 0 or more');
    }
    this.#keys = keys;
    this.#issuer = issuer;
    this.#audience = audience;
    this.#ttlSeconds = ttlSeconds;
    this.#verifiedCacheSize = verifiedCacheSize;
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
      .setJti(crypto.randomUUID())
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
   * A token verified before answers from memory, its time claims checked again as jose would.
   */
  async verify(token: string): Promise<AccessTokenClaims> {
    const cached = this.#verified.get(token);
    if (cached) {
      // Taken out first so a token that is no longer current is gone, and re-inserted as the most
      // recently used one if it still is.
      this.#verified.delete(token);
      assertCurrent(cached);
      this.#verified.set(token, cached);
      return claimsOf(cached);
    }
    // Failures are not remembered: each forgery is a new string, so a negative cache would save
    // nothing and would let junk evict genuine tokens. A forgery costs one verification, as before.
    const verified = await this.#verifyFully(token);
    this.#verified.set(token, verified);
    if (this.#verified.size > this.#verifiedCacheSize) {
      // A Map iterates in insertion order and hits re-insert, so the first key is the least recent.
      this.#verified.delete(this.#verified.keys().next().value as string);
    }
    return claimsOf(verified);
  }

  /** The public key the token names (`kid`); an unknown or missing `kid` fails verification. */
  #keyOf = ({ kid }: JWTHeaderParameters): CryptoKey => {
    const key = kid === undefined ? undefined : this.#keys.verificationKeys.get(kid);
    if (!key) throw new errors.JWKSNoMatchingKey();
    return key;
  };

  async #verifyFully(token: string): Promise<VerifiedToken> {
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, this.#keyOf, {
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
    const { sub, sid, role, jti, exp, nbf } = payload;
    if (
      typeof sub !== 'string' ||
      typeof sid !== 'string' ||
      (role !== 'user' && role !== 'admin') ||
      typeof jti !== 'string' ||
      typeof exp !== 'number'
    ) {
      throw unauthorized(INVALID);
    }
    return { claims: { userId: sub, sessionId: sid, role, tokenId: jti }, exp, nbf };
  }
}

/**
 * jose's time checks, repeated for a remembered token with the same clock (whole seconds of
 * `Date.now()`), tolerance, order and verdicts. `iat` needs no repeat: with no `maxTokenAge` set,
 * jose only requires it to be a number, which a verified token's `iat` stays.
 */
function assertCurrent({ exp, nbf }: VerifiedToken): void {
  const now = Math.floor(Date.now() / 1000);
  if (nbf !== undefined && nbf > now + CLOCK_TOLERANCE_SECONDS) throw unauthorized(INVALID);
  if (exp <= now - CLOCK_TOLERANCE_SECONDS) throw unauthorized(EXPIRED);
}

/** A fresh object on every call, so no caller can alter what the next caller is told. */
function claimsOf({ claims, exp }: VerifiedToken): AccessTokenClaims {
  return { ...claims, expiresAt: new Date(exp * 1000) };
}
