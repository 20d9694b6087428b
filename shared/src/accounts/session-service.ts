import type { Kysely } from 'kysely';
import type { AccessTokenClaims, AccessTokens } from '../auth/access-tokens';
import { hashOpaqueToken, newOpaqueToken } from '../auth/opaque-tokens';
import type { DB, UserRole } from '../db/schema';
import { withTransaction } from '../db/transaction';
import { unauthorized } from '../errors/problem';
import type { KeyValueStore } from '../kv/key-value-store';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { type EventBus, sessionRevocationChannel, type UserSignal, userChannel } from '../realtime/event-bus';
import type { TokenPair } from './api-schemas';
import {
  encodeSessionRevocation,
  type RevocationFeed,
  type SessionVerdict,
  SessionVerdicts,
} from './session-verdicts';

export interface SessionServiceDeps {
  db: Kysely<DB>;
  store: KeyValueStore;
  tokens: AccessTokens;
  refreshTtlSeconds: number;
  metrics: Metrics;
  logger: Logger;
  /**
   * Where revocations are announced: to the realtime gateways, which close the sessions' sockets
   * at once (4401), and to every process's memory of verdicts.
   */
  events: Pick<EventBus, 'publish'>;
  /** The announcements of every process, which let this one answer from memory. */
  revocations: RevocationFeed;
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
 * process's revocation cannot reach this process's in-memory fallback. In front of both, each
 * process remembers verdicts ({@link SessionVerdicts}), so a live session's token costs no round
 * trip at all; by the same rule, memory vouches for a live session only while this process is
 * known to hear every revocation announced.
 */
export class SessionService {
  private readonly verdicts: SessionVerdicts;

  constructor(private readonly deps: SessionServiceDeps) {
    this.verdicts = new SessionVerdicts(deps.revocations, {
      revokedMaxAgeSeconds: deps.tokens.ttlSeconds,
      logger: deps.logger,
    });
  }

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
    const remembered = this.verdicts.recall(claims.sessionId);
    if (remembered) this.deps.metrics.sessionVerdictsTotal.inc({ source: 'memory' });
    const verdict =
      remembered ??
      (await this.verdicts.lookUp(claims.userId, claims.sessionId, () =>
        this.storedVerdict(claims.sessionId),
      ));
    if (verdict !== 'active') throw unauthorized('The session has ended; log in again.');
  }

  private async storedVerdict(sessionId: string): Promise<SessionVerdict> {
    const { store } = this.deps;
    const cached = store.degraded ? null : await store.get(sessionKey(sessionId));
    this.deps.metrics.sessionVerdictsTotal.inc({ source: cached === null ? 'sql' : 'kv' });
    if (cached === null) return this.verdictFromSql(sessionId);
    return cached === 'active' ? 'active' : 'revoked';
  }

  private async verdictFromSql(sessionId: string): Promise<SessionVerdict> {
    const row = await this.deps.db
      .selectFrom('sessions')
      .select(['revoked_at', 'expires_at'])
      .where('id', '=', sessionId)
      .executeTakeFirst();
    const verdict =
      row && row.revoked_at === null && new Date(row.expires_at) > new Date() ? 'active' : 'revoked';
    if (!this.deps.store.degraded) {
      const ttlSeconds = verdict === 'active' ? ACTIVE_CACHE_SECONDS : this.deps.tokens.ttlSeconds;
      // 'active' only where nothing is cached: a revocation committed since this read may have written 'revoked'.
      await this.deps.store.set(sessionKey(sessionId), verdict, {
        ttlSeconds,
        onlyIfAbsent: verdict === 'active',
      });
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
   * Makes committed revocations known: to this process's memory at once; to the key-value store
   * (access tokens outlive nothing longer than their TTL, so the verdict needs no more), before
   * announcing, so a process that heard the announcement reads 'revoked' there too; then to every
   * process's memory and to the gateways, which close the sessions' sockets. `everything` also
   * closes sockets whose session was already revoked, which is what a reset, erasure or ban wants.
   */
  private async announceRevoked(userId: string, sessionIds: string[], everything = false): Promise<void> {
    const { store, tokens, events } = this.deps;
    const revocation = { userId, sessionIds };
    this.verdicts.revoked(revocation);
    await Promise.all(
      sessionIds.map((id) => store.set(sessionKey(id), 'revoked', { ttlSeconds: tokens.ttlSeconds })),
    );
    const signals: UserSignal[] = everything
      ? [{ kind: 'user-revoked' }]
      : sessionIds.map((sessionId) => ({ kind: 'session-revoked', sessionId }));
    await Promise.all([
      ...(sessionIds.length > 0
        ? [events.publish(sessionRevocationChannel, encodeSessionRevocation(revocation))]
        : []),
      ...signals.map((signal) => events.publish(userChannel(userId), JSON.stringify(signal))),
    ]);
  }
}
