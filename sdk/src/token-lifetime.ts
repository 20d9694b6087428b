/**
 * When to renew an access token before it expires. The token is read, never verified: the
 * timing is all the client takes from it, and a token that cannot be read is simply renewed
 * when the server refuses it.
 */

/** Renew at least this long before expiry when the token lives long enough for it. */
export const RENEW_LEAD_MS = 30_000;

/** The longest delay `setTimeout` keeps (2^31 − 1 ms); longer ones fire at once. */
export const MAX_TIMER_MS = 2_147_483_647;

/** A JWT's `exp` (and `iat`, if present) in ms since the epoch, or undefined if it is not a readable JWT. */
export function tokenTimes(
  token: string,
): { issuedAtMs: number | undefined; expiresAtMs: number } | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  let payload: unknown;
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')), (char) =>
      char.charCodeAt(0),
    );
    payload = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  if (!payload || typeof payload !== 'object') return undefined;
  const { exp, iat } = payload as { exp?: unknown; iat?: unknown };
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined;
  return {
    issuedAtMs: typeof iat === 'number' && Number.isFinite(iat) ? iat * 1000 : undefined,
    expiresAtMs: exp * 1000,
  };
}

/**
 * How long `token` has left at `now`, in ms; undefined if it is not a readable JWT. Given when
 * this client received the token (`receivedAt`, by its own clock), it counts the token's lifetime
 * (`exp − iat`, both by the server's clock) from then, so a device clock that is off does not
 * matter; without it, it compares `exp` with the local clock.
 */
export function remainingLifetimeMs(token: string, now: number, receivedAt?: number): number | undefined {
  const times = tokenTimes(token);
  if (!times) return undefined;
  if (receivedAt !== undefined && times.issuedAtMs !== undefined)
    return times.expiresAtMs - times.issuedAtMs - (now - receivedAt);
  return times.expiresAtMs - now;
}

/**
 * The delay before renewing a token with `remainingMs` left: at 80 % of that, or
 * {@link RENEW_LEAD_MS} before expiry if that is earlier — but not before half of it has passed
 * (a token living 30 s or less would otherwise be renewed as soon as it arrived, forever), and
 * never in the past.
 */
export function renewalDelayMs(remainingMs: number): number {
  if (!(remainingMs > 0)) return 0;
  const delay = Math.max(Math.min(0.8 * remainingMs, remainingMs - RENEW_LEAD_MS), 0.5 * remainingMs);
  return Math.min(delay, MAX_TIMER_MS);
}
