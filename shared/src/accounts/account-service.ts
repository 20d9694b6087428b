import type { Kysely, Transaction } from 'kysely';
import type { AuditLog } from '../audit/audit-log';
import type { AccessTokenClaims } from '../auth/access-tokens';
import { hashOpaqueToken, newOpaqueToken } from '../auth/opaque-tokens';
import { burnPasswordCheck, hashPassword, verifyPassword } from '../auth/passwords';
import type { Config } from '../config/env';
import type { DB, EmailTokenPurpose, UserRow } from '../db/schema';
import { isUniqueViolation, withReadCommitted, withTransaction } from '../db/transaction';
import { badRequest, conflict, ProblemError, unauthorized } from '../errors/problem';
import type { Mailer } from '../mail/mailer';
import {
  passwordResetEmail,
  passwordResetLink,
  verificationEmail,
  verificationLink,
} from '../mail/templates';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { RateLimiter } from '../ratelimit/rate-limiter';
import type { AuthSession } from './api-schemas';
import type { ClientMeta, SessionService } from './session-service';
import { toUser } from './user-views';

export interface AccountServiceDeps {
  db: Kysely<DB>;
  sessions: SessionService;
  mailer: Mailer;
  limiter: RateLimiter;
  audit: AuditLog;
  metrics: Metrics;
  logger: Logger;
  config: Pick<Config, 'PUBLIC_BASE_URL' | 'LOCKOUT_THRESHOLD' | 'LOCKOUT_SECONDS'>;
  /**
   * An erased account's drive: its files forgotten in the erasing transaction (their objects
   * queued for deletion), then the objects deleted. Used only by erasure, so the other account
   * functions never open the blob store.
   */
  files: {
    forget(trx: Transaction<DB>, userId: string): Promise<void>;
    eraseObjects(userId: string): Promise<void>;
  };
}

/** Where a request came from, for limits and the audit trail. */
export interface RequestMeta extends ClientMeta {
  requestId: string;
}

const EMAIL_TOKEN_TTL_SECONDS: Record<EmailTokenPurpose, number> = {
  'verify-email': 48 * 3600,
  'password-reset': 3600,
};

const BAD_CREDENTIALS = 'The email or password is incorrect.';

/**
 * Registration, login with lockout, token refresh, logout, email verification and password
 * reset/change/erasure: the account lifecycle of SPEC §5 and §8.
 */
export class AccountService {
  constructor(private readonly deps: AccountServiceDeps) {}

  async register(
    input: { email: string; password: string; displayName: string },
    meta: RequestMeta,
  ): Promise<AuthSession> {
    const { db, limiter, sessions, audit, metrics } = this.deps;
    await limiter.consume('register', meta.ip);
    const passwordHash = await hashPassword(input.password);
    let user: UserRow;
    try {
      user = await db
        .insertInto('users')
        .values({
          email: input.email,
          display_name: input.displayName,
          password_hash: passwordHash,
          updated_at: new Date(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    } catch (error) {
      if (isUniqueViolation(error)) {
        metrics.authAttemptsTotal.inc({ kind: 'register', outcome: 'conflict' });
        throw conflict('email-taken', 'An account with this email already exists.');
      }
      throw error;
    }
    const tokens = await sessions.open(user, meta);
    await audit.record(
      {
        event: 'user.registered',
        actorId: user.id,
        subjectId: user.id,
      },
      meta,
    );
    metrics.authAttemptsTotal.inc({ kind: 'register', outcome: 'success' });
    // The account exists either way; on a mail failure the user asks again (auth-resend-verification).
    await this.sendEmailToken(user, 'verify-email').catch((error) => this.logMailFailure(error, user.id));
    return { user: toUser(user), ...tokens };
  }

  /**
   * Counts failures per account (durably, in SQL) and attempts per IP (rate limiter). After
   * LOCKOUT_THRESHOLD failures the account refuses even the right password until the lock
   * expires; an unknown email and a wrong password answer alike, in the same time.
   */
  async login(input: { email: string; password: string }, meta: RequestMeta): Promise<AuthSession> {
    const { db, limiter, sessions, audit, metrics } = this.deps;
    await limiter.consume('login', meta.ip);
    const user = await db.selectFrom('users').selectAll().where('email', '=', input.email).executeTakeFirst();
    if (!user || user.status === 'deleted' || !user.password_hash) {
      await burnPasswordCheck(input.password);
      metrics.authAttemptsTotal.inc({ kind: 'login', outcome: 'failure' });
      await audit.record(
        {
          event: 'login.failed',
          details: { reason: 'unknown-account' },
        },
        meta,
      );
      throw unauthorized(BAD_CREDENTIALS);
    }

    const lockedFor = user.locked_until
      ? Math.ceil((new Date(user.locked_until).getTime() - Date.now()) / 1000)
      : 0;
    if (lockedFor > 0) {
      await burnPasswordCheck(input.password);
      metrics.authAttemptsTotal.inc({ kind: 'login', outcome: 'locked' });
      await audit.record(
        {
          event: 'login.locked',
          subjectId: user.id,
        },
        meta,
      );
      throw new ProblemError(
        429,
        'account-locked',
        'Too many failed logins; the account is locked for a while. A password reset unlocks it.',
        {
          retryAfterSeconds: lockedFor,
        },
      );
    }

    if (!(await verifyPassword(user.password_hash, input.password))) {
      await this.recordFailedLogin(user, meta);
      throw unauthorized(BAD_CREDENTIALS);
    }

    // Only once the password checked out: to anyone else a banned account answers like any other.
    if (user.status === 'banned') return this.refuseBanned(user.id, meta);

    // The user's row stays locked while the session opens: a ban either commits first, and is
    // seen here, or waits for this session and then revokes it with the others.
    const opened = await withReadCommitted(
      db,
      async (trx) => {
        const current = await trx
          .updateTable('users')
          .set({ failed_login_count: 0, locked_until: null })
          .where('id', '=', user.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        const tokens = current.status === 'active' ? await sessions.open(current, meta, trx) : null;
        return { current, tokens };
      },
      { metrics },
    );
    if (!opened.tokens) {
      if (opened.current.status === 'banned') return this.refuseBanned(user.id, meta);
      throw unauthorized(BAD_CREDENTIALS);
    }
    metrics.authAttemptsTotal.inc({ kind: 'login', outcome: 'success' });
    await audit.record(
      {
        event: 'login.succeeded',
        actorId: user.id,
        subjectId: user.id,
      },
      meta,
    );
    return { user: toUser(opened.current), ...opened.tokens };
  }

  private async refuseBanned(userId: string, meta: RequestMeta): Promise<never> {
    this.deps.metrics.authAttemptsTotal.inc({ kind: 'login', outcome: 'banned' });
    await this.deps.audit.record(
      {
        event: 'login.failed',
        subjectId: userId,
        details: { reason: 'banned' },
      },
      meta,
    );
    throw new ProblemError(
      403,
      'account-banned',
      'This account has been banned by an administrator, so it cannot log in. Contact the operators of this service.',
    );
  }

  private async recordFailedLogin(user: UserRow, meta: RequestMeta): Promise<void> {
    const { db, audit, metrics, config } = this.deps;
    const counted = await db
      .updateTable('users')
      .set((eb) => ({ failed_login_count: eb('failed_login_count', '+', 1) }))
      .where('id', '=', user.id)
      .returning('failed_login_count')
      .executeTakeFirstOrThrow();
    metrics.authAttemptsTotal.inc({ kind: 'login', outcome: 'failure' });
    await audit.record(
      {
        event: 'login.failed',
        subjectId: user.id,
        details: { reason: 'wrong-password', failures: counted.failed_login_count },
      },
      meta,
    );
    if (counted.failed_login_count < config.LOCKOUT_THRESHOLD) return;
    const lockedUntil = new Date(Date.now() + config.LOCKOUT_SECONDS * 1000);
    await db
      .updateTable('users')
      .set({ locked_until: lockedUntil, failed_login_count: 0 })
      .where('id', '=', user.id)
      .execute();
    await audit.record(
      {
        event: 'account.locked',
        subjectId: user.id,
        details: { failures: counted.failed_login_count, lockedUntil: lockedUntil.toISOString() },
      },
      meta,
    );
  }

  async refresh(refreshToken: string, meta: RequestMeta): Promise<AuthSession> {
    const { sessions, audit, metrics, db } = this.deps;
    const result = await sessions.rotate(refreshToken);
    if (result.outcome === 'reused') {
      metrics.authAttemptsTotal.inc({ kind: 'refresh', outcome: 'reuse' });
      await audit.record(
        {
          event: 'refresh-token.reused',
          subjectId: result.userId,
          details: { sessionId: result.sessionId },
        },
        meta,
      );
      throw unauthorized('The refresh token was already used; the session has been revoked. Log in again.');
    }
    metrics.authAttemptsTotal.inc({ kind: 'refresh', outcome: 'success' });
    const user = await db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', result.userId)
      .executeTakeFirstOrThrow();
    return { user: toUser(user), ...result.tokens };
  }

  async logout(claims: AccessTokenClaims, meta: RequestMeta): Promise<void> {
    await this.deps.sessions.revoke(claims, 'logout');
    await this.deps.audit.record(
      {
        event: 'session.revoked',
        actorId: claims.userId,
        subjectId: claims.userId,
        details: { sessionId: claims.sessionId, reason: 'logout' },
      },
      meta,
    );
  }

  async verifyEmail(token: string, meta: RequestMeta): Promise<void> {
    const userId = await withTransaction(this.deps.db, async (trx) => {
      const owner = await this.consumeEmailToken(trx, token, 'verify-email');
      await trx
        .updateTable('users')
        .set({ email_verified_at: new Date(), updated_at: new Date() })
        .where('id', '=', owner)
        .where('email_verified_at', 'is', null)
        .execute();
      return owner;
    });
    await this.deps.audit.record(
      {
        event: 'email.verified',
        actorId: userId,
        subjectId: userId,
      },
      meta,
    );
  }

  async resendVerification(claims: AccessTokenClaims): Promise<void> {
    await this.deps.limiter.consume('resend-verification', claims.userId);
    const user = await this.deps.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', claims.userId)
      .executeTakeFirstOrThrow();
    if (user.email_verified_at !== null)
      throw conflict('already-verified', 'The email address is already verified.');
    await this.sendEmailToken(user, 'verify-email');
  }

  /**
   * Always succeeds from the caller's view (no account enumeration). The email goes out after
   * the response so that its latency does not tell known addresses apart.
   */
  async requestPasswordReset(email: string, meta: RequestMeta): Promise<void> {
    await this.deps.limiter.consume('password-reset', meta.ip);
    const user = await this.deps.db
      .selectFrom('users')
      .selectAll()
      .where('email', '=', email)
      .where('status', '!=', 'deleted')
      .executeTakeFirst();
    if (!user) return;
    await this.deps.audit.record(
      {
        event: 'password.reset-requested',
        subjectId: user.id,
      },
      meta,
    );
    void this.sendEmailToken(user, 'password-reset').catch((error) => this.logMailFailure(error, user.id));
  }

  /** Sets the new password, lifts any lockout and ends every session of the account. */
  async confirmPasswordReset(
    input: { token: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<void> {
    const passwordHash = await hashPassword(input.newPassword);
    const userId = await withTransaction(this.deps.db, async (trx) => {
      const owner = await this.consumeEmailToken(trx, input.token, 'password-reset');
      await trx
        .updateTable('users')
        .set({
          password_hash: passwordHash,
          failed_login_count: 0,
          locked_until: null,
          updated_at: new Date(),
        })
        .where('id', '=', owner)
        .execute();
      return owner;
    });
    const revoked = await this.deps.sessions.revokeAll(userId, 'password-reset');
    await this.deps.audit.record(
      {
        event: 'password.reset',
        actorId: userId,
        subjectId: userId,
        details: { sessionsRevoked: revoked },
      },
      meta,
    );
  }

  /** Requires the current password; every other session of the account ends. */
  async changePassword(
    claims: AccessTokenClaims,
    input: { currentPassword: string; newPassword: string },
    meta: RequestMeta,
  ): Promise<void> {
    const user = await this.requirePassword(claims.userId, input.currentPassword);
    const passwordHash = await hashPassword(input.newPassword);
    await this.deps.db
      .updateTable('users')
      .set({ password_hash: passwordHash, updated_at: new Date() })
      .where('id', '=', user.id)
      .execute();
    const revoked = await this.deps.sessions.revokeAll(user.id, 'password-changed', claims.sessionId);
    await this.deps.audit.record(
      {
        event: 'password.changed',
        actorId: user.id,
        subjectId: user.id,
        details: { sessionsRevoked: revoked },
      },
      meta,
    );
  }

  /**
   * Erases personal data (email, name, avatar, password, blocks, pending tokens) but keeps the
   * user row as a tombstone so conversations still show "Deleted user" as the author.
   */
  async deleteAccount(claims: AccessTokenClaims, password: string, meta: RequestMeta): Promise<void> {
    const user = await this.requirePassword(claims.userId, password);
    await withTransaction(this.deps.db, async (trx) => {
      for (const table of [
        'email_tokens',
        'push_devices',
        'notification_preferences',
        'ai_settings',
      ] as const) {
        await trx.deleteFrom(table).where('user_id', '=', user.id).execute();
      }
      await this.deps.files.forget(trx, user.id);
      await trx
        .deleteFrom('user_blocks')
        .where((eb) => eb.or([eb('blocker_id', '=', user.id), eb('blocked_id', '=', user.id)]))
        .execute();
      await trx
        .updateTable('users')
        .set({
          email: null,
          display_name: 'Deleted user',
          avatar_file_id: null,
          password_hash: null,
          email_verified_at: null,
          status: 'deleted',
          updated_at: new Date(),
        })
        .where('id', '=', user.id)
        .execute();
    });
    await this.deps.sessions.revokeAll(user.id, 'account-deleted');
    // Best effort: whatever the store does not delete now, the sweep deletes from the queue.
    await this.deps.files
      .eraseObjects(user.id)
      .catch((error) => this.deps.logger.warn({ err: error }, 'erased objects are left for the sweep'));
    await this.deps.audit.record(
      {
        event: 'user.deleted',
        actorId: user.id,
        subjectId: user.id,
      },
      meta,
    );
  }

  private async requirePassword(userId: string, password: string): Promise<UserRow> {
    const user = await this.deps.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', userId)
      .executeTakeFirst();
    if (!user?.password_hash || user.status !== 'active')
      throw unauthorized('The session has ended; log in again.');
    if (!(await verifyPassword(user.password_hash, password))) {
      throw new ProblemError(403, 'wrong-password', 'The current password is incorrect.');
    }
    return user;
  }

  /** Marks a one-time email token used and returns its owner; any unusable token is the same 400. */
  private async consumeEmailToken(
    trx: Kysely<DB>,
    token: string,
    purpose: EmailTokenPurpose,
  ): Promise<string> {
    const used = await trx
      .updateTable('email_tokens')
      .set({ used_at: new Date() })
      .where('token_hash', '=', hashOpaqueToken(token))
      .where('purpose', '=', purpose)
      .where('used_at', 'is', null)
      .where('expires_at', '>', new Date())
      .returning('user_id')
      .executeTakeFirst();
    if (!used) {
      throw badRequest('The token is invalid, expired or already used.', [
        { field: 'body.token', message: 'is invalid, expired or already used' },
      ]);
    }
    return used.user_id;
  }

  private logMailFailure(error: unknown, userId: string): void {
    this.deps.logger.warn(
      { err: error, userId },
      'could not send an account email; the user can request it again',
    );
  }

  private async sendEmailToken(user: UserRow, purpose: EmailTokenPurpose): Promise<void> {
    if (!user.email) return;
    const { token, hash } = newOpaqueToken();
    await this.deps.db
      .insertInto('email_tokens')
      .values({
        token_hash: hash,
        user_id: user.id,
        purpose,
        expires_at: new Date(Date.now() + EMAIL_TOKEN_TTL_SECONDS[purpose] * 1000),
      })
      .execute();
    const base = this.deps.config.PUBLIC_BASE_URL;
    const content =
      purpose === 'verify-email'
        ? verificationEmail({ displayName: user.display_name, link: verificationLink(base, token), token })
        : passwordResetEmail({ displayName: user.display_name, link: passwordResetLink(base, token), token });
    await this.deps.mailer.send({ to: user.email, template: purpose, ...content });
  }
}
