import type { Kysely } from 'kysely';
import type { AccessTokenClaims, AccessTokens } from '../auth/access-tokens';
import { hashOpaqueToken, newOpaqueToken } from '../auth/opaque-tokens';
import type { DB, UserRole } from '../db/schema';
import { withTransaction } from '../db/transaction';
import { unauthorized } from '../http/problem';
import type { KeyValueStore } from '../kv/key-value-store';
import type { Metrics } from '../observability/metrics';
import type { UserSignal } from '../realtime/event-bus';
import type { TokenPair } from './api-schemas';

export interface SessionServiceDeps {
  db: Kysely<DB>;
  store: KeyValueStore;
  tokens: AccessTokens;
  refreshTtlSeconds: number;
  metrics: Metrics;
  /** Tells the realtime gateways, so the sockets of a revoked session close at once (4401). */
  signal: (userId: string, signal: UserSignal) => Promise<void>;
}

export interface ClientMeta {
  ip: string;
  userAgent: string | undefined;
}

export type RotationResult =
  | { outcome: 'rotated'; userId: string; sessionId: string; tokens: TokenPair }
  | { outcome: 'reused'; userId: string; sessionId: string };

/** Cached verdicts live at most this long; revocations overwrite them at once. */
const ACTIVE_CACHE_SECONDS = 60;
const sessionKey = (sessionId: string) => `session:${sessionId}`;

/**
 * Sessions are refresh-token families (SPEC §8). SQL is the source of truth; the key-value store
 * caches each session's verdict so verifying an access token costs no SQL round trip. A lost
 * cache (Redis restarted) only means a SQL read; a degraded one is bypassed, because another
 * process's revocation cannot reach this process's in-memory fallback.
 */
export class SessionService {
  constructor(private readonly deps: SessionServiceDeps) {}

  /** Starts a session and hands out its first token pair. */
  async open(
    user: { id: string; role: UserRole },
    meta: ClientMeta,
    executor: Kysely<DB> = this.deps.db,
  ): Promise<TokenPair> {
    const expiresAt = new Date(Date.now() + this.deps.refreshTtlSeconds * 1000);
    const session = await executor
      .insertInto('sessions')
      .values({
        user_id: user.id,
        expires_at: expiresAt,
        last_used_at: new Date(),
        user_agent: meta.userAgent?.slice(0, 512) ?? null,
        ip: meta.ip,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const refresh = newOpaqueToken();
    await executor
      .insertInto('refresh_tokens')
      .values({ token_hash: refresh.hash, session_id: session.id, user_id: user.id, expires_at: expiresAt })
      .execute();
    const access = await this.deps.tokens.issue({ userId: user.id, sessionId: session.id, role: user.role });
    return { accessToken: access.token, refreshToken: refresh.token, expiresIn: access.expiresIn };
  }

  /**
   * Exchanges a refresh token for a new pair. A token presented twice means it leaked (or a
   * client raced itself): the whole family is revoked and the caller must log in again.
   */
  async rotate(refreshToken: string): Promise<RotationResult> {
    const hash = hashOpaqueToken(refreshToken);
    const result = await withTransaction(
      this.deps.db,
      async (trx): Promise<RotationResult | { outcome: 'invalid' }> => {
        const current = await trx
          .selectFrom('refresh_tokens')
          .innerJoin('sessions', 'sessions.id', 'refresh_tokens.session_id')
          .innerJoin('users', 'users.id', 'refresh_tokens.user_id')
          .select([
            'refresh_tokens.session_id',
            'refresh_tokens.user_id',
            'refresh_tokens.used_at',
            'refresh_tokens.expires_at',
            'sessions.revoked_at',
            'users.role',
            'users.status',
          ])
          .where('refresh_tokens.token_hash', '=', hash)
          .forUpdate()
          .executeTakeFirst();
        if (!current) return { outcome: 'invalid' };
        const ids = { userId: current.user_id, sessionId: current.session_id };
        if (current.used_at !== null) {
          if (current.revoked_at === null)
            await this.markRevoked(trx, current.session_id, 'refresh-token-reuse');
          return { outcome: 'reused', ...ids };
        }
        if (
          current.revoked_at !== null ||
          new Date(current.expires_at) <= new Date() ||
          current.status !== 'active'
        ) {
          return { outcome: 'invalid' };
        }
        const now = new Date();
        await trx
          .updateTable('refresh_tokens')
          .set({ used_at: now })
          .where('token_hash', '=', hash)
          .execute();
        const next = newOpaqueToken();
        await trx
          .insertInto('refresh_tokens')
          .values({
            token_hash: next.hash,
            session_id: current.session_id,
            user_id: current.user_id,
            expires_at: current.expires_at,
          })
          .execute();
        await trx
          .updateTable('sessions')
          .set({ last_used_at: now })
          .where('id', '=', current.session_id)
          .execute();
        const access = await this.deps.tokens.issue({
          userId: current.user_id,
          sessionId: current.session_id,
          role: current.role,
        });
        return {
          outcome: 'rotated',
          ...ids,
          tokens: { accessToken: access.token, refreshToken: next.token, expiresIn: access.expiresIn },
        };
      },
      { metrics: this.deps.metrics },
    );
    if (result.outcome === 'invalid') throw unauthorized('The refresh token is invalid or expired.');
    if (result.outcome === 'reused') await this.announceRevoked(result.userId, [result.sessionId]);
    return result;
  }

  async revoke(session: { userId: string; sessionId: string }, reason: string): Promise<void> {
    await this.markRevoked(this.deps.db, session.sessionId, reason);
    await this.announceRevoked(session.userId, [session.sessionId]);
  }

  /** Ends every live session of a user, optionally sparing the caller's own. Returns how many. */
  async revokeAll(userId: string, reason: string, exceptSessionId?: string): Promise<number> {
    let query = this.deps.db
      .updateTable('sessions')
      .set({ revoked_at: new Date(), revoked_reason: reason })
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null);
    if (exceptSessionId) query = query.where('id', '!=', exceptSessionId);
    const revoked = await query.returning('id').execute();
    await this.announceRevoked(
      userId,
      revoked.map((row) => row.id),
      !exceptSessionId,
    );
    return revoked.length;
  }

  /** Throws 401 unless the token's session is live. */
  async assertActive(claims: AccessTokenClaims): Promise<void> {
    const { store } = this.deps;
    const cached = store.degraded ? null : await store.get(sessionKey(claims.sessionId));
    const verdict = cached ?? (await this.verdictFromSql(claims.sessionId));
    if (verdict !== 'active') throw unauthorized('The session has ended; log in again.');
  }

  private async verdictFromSql(sessionId: string): Promise<'active' | 'revoked'> {
    const row = await this.deps.db
      .selectFrom('sessions')
      .select(['revoked_at', 'expires_at'])
      .where('id', '=', sessionId)
      .executeTakeFirst();
    const verdict =
      row && row.revoked_at === null && new Date(row.expires_at) > new Date() ? 'active' : 'revoked';
    if (!this.deps.store.degraded) {
      const ttlSeconds = verdict === 'active' ? ACTIVE_CACHE_SECONDS : this.deps.tokens.ttlSeconds;
      await this.deps.store.set(sessionKey(sessionId), verdict, { ttlSeconds });
    }
    return verdict;
  }

  private async markRevoked(executor: Kysely<DB>, sessionId: string, reason: string): Promise<void> {
    await executor
      .updateTable('sessions')
      .set({ revoked_at: new Date(), revoked_reason: reason })
      .where('id', '=', sessionId)
      .where('revoked_at', 'is', null)
      .execute();
  }

  /**
   * Caches the revoked verdicts (access tokens outlive nothing longer than their TTL, so the
   * verdict needs no more) and closes the sessions' sockets. `everything` also closes sockets
   * whose session was already revoked, which is what a reset, erasure or ban wants.
   */
  private async announceRevoked(userId: string, sessionIds: string[], everything = false): Promise<void> {
    const { store, tokens, signal } = this.deps;
    await Promise.all(
      sessionIds.map((id) => store.set(sessionKey(id), 'revoked', { ttlSeconds: tokens.ttlSeconds })),
    );
    if (everything) await signal(userId, { kind: 'user-revoked' });
    else
      await Promise.all(
        sessionIds.map((sessionId) => signal(userId, { kind: 'session-revoked', sessionId })),
      );
  }
}
