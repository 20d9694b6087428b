import type { AccountService } from '../accounts/account-service';
import type { SessionService } from '../accounts/session-service';
import type { RevocationFeed } from '../accounts/session-verdicts';
import type { UserService } from '../accounts/user-service';
import type { AdminService } from '../admin/admin-service';
import type { AiService } from '../ai/ai-service';
import type { AuditLog } from '../audit/audit-log';
import type { AccessTokenClaims, AccessTokens } from '../auth/access-tokens';
import type { BlobStore } from '../blobs/blob-store';
import type { CallService } from '../calls/call-service';
import type { Sfu } from '../calls/sfu';
import type { Config } from '../config/env';
import type { ConversationEvents } from '../conversations/conversation-events';
import type { ConversationService } from '../conversations/conversation-service';
import type { MemberService } from '../conversations/member-service';
import type { MembershipDirectory } from '../conversations/membership';
import type { MessageService } from '../conversations/message-service';
import type { PresenceService } from '../conversations/presence-service';
import type { Database } from '../db/database';
import type { DriveService } from '../drive/drive-service';
import type { FileReferences } from '../drive/file-references';
import type { KeyDirectory } from '../keys/key-directory';
import type { KeyValueStore } from '../kv/key-value-store';
import type { Mailer } from '../mail/mailer';
import type { MessageStore } from '../messaging/message-store';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { PollService } from '../polls/poll-service';
import type { PushDispatcher } from '../push/push-dispatcher';
import type { PushQueue } from '../push/push-queue';
import type { PushService } from '../push/push-service';
import type { RateLimiter } from '../ratelimit/rate-limiter';
import type { EventBus } from '../realtime/event-bus';
import type { PresenceStore } from '../realtime/presence-store';

/**
 * A store or secret a function uses. `signing-key` is the JWT private key (only functions that
 * issue tokens get it); `verify-key` the public key every authenticated function needs; `blobs`
 * the drive's object storage; `calls` LiveKit and TURN; `push` the queue to push-dispatch (those
 * who announce messages and calls); `push-providers` FCM and APNs (push-dispatch itself); `ai`
 * the OpenAI-compatible server of the AI helpers.
 */
export type Dependency =
  | 'sql'
  | 'kv'
  | 'mail'
  | 'signing-key'
  | 'verify-key'
  | 'messages'
  | 'events'
  | 'blobs'
  | 'calls'
  | 'push'
  | 'push-providers'
  | 'ai';

export type CheckStatus = 'ok' | 'degraded' | 'down';

export interface ReadinessReport {
  status: CheckStatus;
  checks: Record<string, { status: CheckStatus; detail?: string }>;
}

/**
 * The process's dependencies, built once and lazily: a function only connects to — and only
 * loads the drivers of — what it touches (SPEC §3). Adapters are imported dynamically for the
 * same reason. Everything built is closed, in reverse order, by `close()`.
 */
export class Platform {
  private readonly instances = new Map<string, Promise<unknown>>();
  private readonly closers: Array<() => Promise<void>> = [];
  private shuttingDown = false;

  constructor(
    readonly config: Config,
    readonly logger: Logger,
    readonly metrics: Metrics,
  ) {}

  private once<T>(key: string, create: () => Promise<T>, close?: (instance: T) => Promise<void>): Promise<T> {
    let instance = this.instances.get(key) as Promise<T> | undefined;
    if (!instance) {
      instance = create().then((created) => {
        if (close) this.closers.push(() => close(created));
        return created;
      });
      // A failed start is not cached: the next request tries again.
      instance.catch(() => this.instances.delete(key));
      this.instances.set(key, instance);
    }
    return instance;
  }

  database(): Promise<Database> {
    return this.once(
      'sql',
      async () => {
        const [{ openDatabase }, { migrateToLatest }] = await Promise.all([
          import('../db/database'),
          import('../db/migrator'),
        ]);
        const { config } = this;
        const database = await openDatabase({
          url: config.DATABASE_URL,
          dataDir: config.DATA_DIR,
          poolMax: config.DB_POOL_MAX,
          acquireTimeoutMs: config.DB_POOL_ACQUIRE_TIMEOUT_MS,
          statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
          preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
          logger: this.logger,
          metrics: this.metrics,
        });
        try {
          await migrateToLatest(database.db, this.logger);
        } catch (error) {
          await database.close();
          throw error;
        }
        return database;
      },
      (database) => database.close(),
    );
  }

  keyValueStore(): Promise<KeyValueStore> {
    return this.once(
      'kv',
      async () => {
        const { openKeyValueStore } = await import('../kv/open-store');
        return openKeyValueStore({
          url: this.config.REDIS_URL,
          keyPrefix: this.config.REDIS_KEY_PREFIX,
          commandTimeoutMs: this.config.REDIS_COMMAND_TIMEOUT_MS,
          logger: this.logger,
          metrics: this.metrics,
        });
      },
      (store) => store.close(),
    );
  }

  /** The drive's objects: S3 (behind retries and a circuit breaker) when S3_BUCKET is set, else DATA_DIR. */
  blobStore(): Promise<BlobStore> {
    return this.once(
      'blobs',
      async () => {
        const { openBlobStore } = await import('../blobs/open-blob-store');
        return openBlobStore({ config: this.config, logger: this.logger, metrics: this.metrics });
      },
      (store) => store.close(),
    );
  }

  /** Messages and event logs: Cassandra when CASSANDRA_CONTACT_POINTS is set, else SQL. */
  messageStore(): Promise<MessageStore> {
    return this.once(
      'messages',
      async () => {
        const [{ openMessageStore }, database] = await Promise.all([
          import('../messaging/open-message-store'),
          this.database(),
        ]);
        return openMessageStore({
          config: this.config,
          db: database.db,
          logger: this.logger,
          metrics: this.metrics,
        });
      },
      (store) => store.close(),
    );
  }

  /** Pub/sub to realtime gateways: Redis when REDIS_URL is set, else in-process. */
  eventBus(): Promise<EventBus> {
    return this.once(
      'events',
      async () => {
        const { openEventBus } = await import('../realtime/open-event-bus');
        return openEventBus({
          url: this.config.REDIS_URL,
          keyPrefix: this.config.REDIS_KEY_PREFIX,
          commandTimeoutMs: this.config.REDIS_COMMAND_TIMEOUT_MS,
          logger: this.logger,
          metrics: this.metrics,
        });
      },
      (bus) => bus.close(),
    );
  }

  /**
   * Presence on the key-value store. A status lives two heartbeats (REALTIME_PING_INTERVAL_MS),
   * so a crashed gateway's users turn offline by themselves.
   */
  presence(): Promise<PresenceStore> {
    return this.once(
      'presence',
      async () => {
        const [{ KeyValuePresenceStore }, store] = await Promise.all([
          import('../realtime/key-value-presence-store'),
          this.keyValueStore(),
        ]);
        return new KeyValuePresenceStore(store, {
          ttlSeconds: (2 * this.config.REALTIME_PING_INTERVAL_MS) / 1000,
        });
      },
      (presence) => presence.close(),
    );
  }

  presenceService(): Promise<PresenceService> {
    return this.once('presence-service', async () => {
      const [{ PresenceService }, database, presence] = await Promise.all([
        import('../conversations/presence-service'),
        this.database(),
        this.presence(),
      ]);
      return new PresenceService(database.db, presence);
    });
  }

  membership(): Promise<MembershipDirectory> {
    return this.once('membership', async () => {
      const [{ SqlMembershipDirectory }, database] = await Promise.all([
        import('../conversations/membership'),
        this.database(),
      ]);
      return new SqlMembershipDirectory(database.db);
    });
  }

  mailer(): Promise<Mailer> {
    return this.once(
      'mail',
      async () => {
        const { openMailer } = await import('../mail/open-mailer');
        return openMailer(this.config, { logger: this.logger, metrics: this.metrics });
      },
      (mailer) => mailer.close(),
    );
  }

  /** Signing needs the private key, which only the auth functions are given in production. */
  accessTokens(): Promise<AccessTokens> {
    return this.once('access-tokens', async () => {
      const [{ loadSigningKeys }, { AccessTokens }] = await Promise.all([
        import('../auth/signing-keys'),
        import('../auth/access-tokens'),
      ]);
      const keys = await loadSigningKeys({
        privateKeyPem: this.config.JWT_PRIVATE_KEY,
        publicKeyPem: this.config.JWT_PUBLIC_KEY,
        dataDir: this.config.DATA_DIR,
        // Load the private key wherever it is available: configured, or generated in embedded mode.
        needPrivateKey: this.config.JWT_PRIVATE_KEY !== undefined || this.config.JWT_PUBLIC_KEY === undefined,
      });
      return new AccessTokens({
        keys,
        issuer: this.config.JWT_ISSUER,
        audience: this.config.JWT_AUDIENCE,
        ttlSeconds: this.config.ACCESS_TOKEN_TTL_SECONDS,
      });
    });
  }

  rateLimiter(): Promise<RateLimiter> {
    return this.once('rate-limiter', async () => {
      const [{ RateLimiter }, store] = await Promise.all([
        import('../ratelimit/rate-limiter'),
        this.keyValueStore(),
      ]);
      return new RateLimiter({ config: this.config, store, logger: this.logger, metrics: this.metrics });
    });
  }

  auditLog(): Promise<AuditLog> {
    return this.once('audit-log', async () => {
      const [{ AuditLog }, database] = await Promise.all([import('../audit/audit-log'), this.database()]);
      return new AuditLog(database.db, this.logger);
    });
  }

  /**
   * Revocation announcements for the session verdicts this process keeps in memory. With Redis, a
   * connection of its own in subscribe mode, with the key-value store's settings; embedded, the
   * in-process bus.
   */
  private revocationFeed(): Promise<RevocationFeed> {
    return this.once(
      'revocation-feed',
      async () => {
        const [{ RedisStore }, { InProcessRevocationFeed, RedisRevocationFeed }, store] = await Promise.all([
          import('../kv/redis-store'),
          import('../accounts/revocation-feeds'),
          this.keyValueStore(),
        ]);
        if (!(store instanceof RedisStore)) return new InProcessRevocationFeed(await this.eventBus());
        const feed = new RedisRevocationFeed({
          client: store.client,
          keyPrefix: this.config.REDIS_KEY_PREFIX,
          commandTimeoutMs: this.config.REDIS_COMMAND_TIMEOUT_MS,
          logger: this.logger,
        });
        await feed.started;
        return feed;
      },
      (feed) => feed.close(),
    );
  }

  sessions(): Promise<SessionService> {
    return this.once('sessions', async () => {
      const [{ SessionService }, database, store, tokens, revocations] = await Promise.all([
        import('../accounts/session-service'),
        this.database(),
        this.keyValueStore(),
        this.accessTokens(),
        this.revocationFeed(),
      ]);
      return new SessionService({
        db: database.db,
        store,
        tokens,
        refreshTtlSeconds: this.config.REFRESH_TOKEN_TTL_SECONDS,
        metrics: this.metrics,
        logger: this.logger,
        // With Redis, the event bus opens only when a session actually ends, not for every token check.
        events: { publish: async (channel, payload) => (await this.eventBus()).publish(channel, payload) },
        revocations,
      });
    });
  }

  accounts(): Promise<AccountService> {
    return this.once('accounts', async () => {
      const [{ AccountService }, database, sessions, mailer, limiter, audit] = await Promise.all([
        import('../accounts/account-service'),
        this.database(),
        this.sessions(),
        this.mailer(),
        this.rateLimiter(),
        this.auditLog(),
      ]);
      return new AccountService({
        db: database.db,
        sessions,
        mailer,
        limiter,
        audit,
        metrics: this.metrics,
        logger: this.logger,
        config: this.config,
        files: {
          forget: async (trx, userId) =>
            (await import('../drive/blob-deletions')).forgetUserFiles(trx, userId),
          eraseObjects: async (userId) => (await this.drive()).eraseObjectsOf(userId),
        },
      });
    });
  }

  users(): Promise<UserService> {
    return this.once('users', async () => {
      const [{ UserService }, database, sessions, audit, files] = await Promise.all([
        import('../accounts/user-service'),
        this.database(),
        this.sessions(),
        this.auditLog(),
        this.fileReferences(),
      ]);
      return new UserService({ db: database.db, sessions, audit, files });
    });
  }

  admin(): Promise<AdminService> {
    return this.once('admin', async () => {
      const [{ AdminService }, database, sessions, audit] = await Promise.all([
        import('../admin/admin-service'),
        this.database(),
        this.sessions(),
        this.auditLog(),
      ]);
      return new AdminService({ db: database.db, sessions, audit, config: this.config });
    });
  }

  private conversationEvents(): Promise<ConversationEvents> {
    return this.once('conversation-events', async () => {
      const [{ ConversationEvents }, database, bus] = await Promise.all([
        import('../conversations/conversation-events'),
        this.database(),
        this.eventBus(),
      ]);
      return new ConversationEvents(database.db, bus, this.logger);
    });
  }

  conversations(): Promise<ConversationService> {
    return this.once('conversations', async () => {
      const [{ ConversationService }, database, messages, events] = await Promise.all([
        import('../conversations/conversation-service'),
        this.database(),
        this.messageStore(),
        this.conversationEvents(),
      ]);
      return new ConversationService({ db: database.db, messages, events, config: this.config });
    });
  }

  members(): Promise<MemberService> {
    return this.once('members', async () => {
      const [{ MemberService }, database, messages, events, conversations] = await Promise.all([
        import('../conversations/member-service'),
        this.database(),
        this.messageStore(),
        this.conversationEvents(),
        this.conversations(),
      ]);
      return new MemberService({ db: database.db, messages, events, conversations, config: this.config });
    });
  }

  messages(): Promise<MessageService> {
    return this.once('message-service', async () => {
      const [{ MessageService }, database, messages, events, limiter, polls, files, push] = await Promise.all(
        [
          import('../conversations/message-service'),
          this.database(),
          this.messageStore(),
          this.conversationEvents(),
          this.rateLimiter(),
          this.polls(),
          this.fileReferences(),
          this.pushQueue(),
        ],
      );
      return new MessageService({
        db: database.db,
        messages,
        events,
        limiter,
        polls,
        files,
        push,
        config: this.config,
      });
    });
  }

  keyDirectory(): Promise<KeyDirectory> {
    return this.once('key-directory', async () => {
      const [{ KeyDirectory }, database, limiter] = await Promise.all([
        import('../keys/key-directory'),
        this.database(),
        this.rateLimiter(),
      ]);
      return new KeyDirectory(database.db, limiter);
    });
  }

  /** Attachments and avatars: SQL only, so message and profile functions never load the blob store. */
  fileReferences(): Promise<FileReferences> {
    return this.once('file-references', async () => {
      const [{ FileReferences }, database] = await Promise.all([
        import('../drive/file-references'),
        this.database(),
      ]);
      return new FileReferences(database.db);
    });
  }

  drive(): Promise<DriveService> {
    return this.once('drive', async () => {
      const [{ DriveService }, database, blobs, limiter] = await Promise.all([
        import('../drive/drive-service'),
        this.database(),
        this.blobStore(),
        this.rateLimiter(),
      ]);
      return new DriveService({
        db: database.db,
        blobs,
        limiter,
        metrics: this.metrics,
        logger: this.logger,
        config: this.config,
      });
    });
  }

  polls(): Promise<PollService> {
    return this.once('polls', async () => {
      const [{ PollService }, database, messages, events, limiter, push] = await Promise.all([
        import('../polls/poll-service'),
        this.database(),
        this.messageStore(),
        this.conversationEvents(),
        this.rateLimiter(),
        this.pushQueue(),
      ]);
      return new PollService({
        db: database.db,
        messages,
        events,
        limiter,
        push,
        metrics: this.metrics,
        logger: this.logger,
      });
    });
  }

  /** LiveKit when LIVEKIT_URL is set, else null (calls are then one-to-one and peer to peer). */
  sfu(): Promise<Sfu | null> {
    return this.once('sfu', async () => {
      const { openSfu } = await import('../calls/open-sfu');
      return openSfu({ config: this.config, logger: this.logger });
    });
  }

  calls(): Promise<CallService> {
    return this.once('calls', async () => {
      const [{ CallService }, database, messages, events, push] = await Promise.all([
        import('../calls/call-service'),
        this.database(),
        this.messageStore(),
        this.conversationEvents(),
        this.pushQueue(),
      ]);
      return new CallService({
        db: database.db,
        messages,
        events,
        sfu: () => this.sfu(),
        push,
        presence: () => this.presence(),
        metrics: this.metrics,
        logger: this.logger,
        config: this.config,
      });
    });
  }

  pushService(): Promise<PushService> {
    return this.once('push-service', async () => {
      const [{ PushService }, database] = await Promise.all([
        import('../push/push-service'),
        this.database(),
      ]);
      return new PushService(database.db);
    });
  }

  /** Sends the notifications of one job: FCM and APNs, or the log where they are not configured. */
  pushDispatcher(): Promise<PushDispatcher> {
    return this.once(
      'push-dispatcher',
      async () => {
        const [{ PushDispatcher }, { openPushProviders }, database, messages, presence] = await Promise.all([
          import('../push/push-dispatcher'),
          import('../push/open-push-providers'),
          this.database(),
          this.messageStore(),
          this.presence(),
        ]);
        const providers = await openPushProviders({ config: this.config, logger: this.logger });
        return {
          dispatcher: new PushDispatcher({
            db: database.db,
            messages,
            presence,
            providers,
            metrics: this.metrics,
            logger: this.logger,
          }),
          providers,
        };
      },
      ({ providers }) =>
        Promise.all(Object.values(providers).map((provider) => provider.close())).then(() => {}),
    ).then(({ dispatcher }) => dispatcher);
  }

  /**
   * Where new messages and ringing calls go to be pushed: an OpenFaaS asynchronous invocation of
   * push-dispatch when PUSH_DISPATCH_URL is set, else this process (drained at shutdown).
   */
  pushQueue(): Promise<PushQueue> {
    return this.once(
      'push-queue',
      async () => {
        const { HttpPushQueue, InProcessPushQueue } = await import('../push/push-queues');
        if (this.config.PUSH_DISPATCH_URL)
          return new HttpPushQueue(this.config.PUSH_DISPATCH_URL, this.logger);
        return new InProcessPushQueue(
          async (job) => (await this.pushDispatcher()).dispatch(job),
          this.logger,
        );
      },
      async (queue) => {
        if ('drain' in queue) await queue.drain();
      },
    );
  }

  /**
   * The AI helpers: off (every call answers 503) unless AI_BASE_URL and AI_MODEL are set. The
   * openai package loads with the first request sent, so no other function ever evaluates it.
   */
  ai(): Promise<AiService> {
    return this.once('ai', async () => {
      const [{ AiService }, database, limiter] = await Promise.all([
        import('../ai/ai-service'),
        this.database(),
        this.rateLimiter(),
      ]);
      return new AiService({
        db: database.db,
        // The settings functions never read messages, so they do not open the message store.
        messages: () => this.messageStore(),
        limiter,
        metrics: this.metrics,
        logger: this.logger,
        config: this.config,
      });
    });
  }

  /** Verifies an access token and that its session is still live (logout, bans, resets end it). */
  async authenticate(token: string): Promise<AccessTokenClaims> {
    const tokens = await this.accessTokens();
    const claims = await tokens.verify(token);
    await (await this.sessions()).assertActive(claims);
    return claims;
  }

  /** Opens what the served functions declare, so a misconfiguration fails at boot, not on a request. */
  async start(dependencies: Dependency[]): Promise<void> {
    if (this.config.NODE_ENV === 'production') await this.refuseEmbeddedStores(dependencies);
    const opening: Record<Dependency, () => Promise<unknown>> = {
      sql: () => this.database(),
      kv: () => this.keyValueStore(),
      mail: () => this.mailer(),
      'signing-key': async () => {
        if (!(await this.accessTokens()).canIssue) {
          const { ConfigError } = await import('../config/env');
          throw new ConfigError('JWT_PRIVATE_KEY: required by this function, which issues access tokens');
        }
      },
      'verify-key': () => this.accessTokens(),
      messages: () => this.messageStore(),
      events: () => this.eventBus(),
      blobs: () => this.blobStore(),
      calls: () => this.sfu(),
      push: () => this.pushQueue(),
      'push-providers': () => this.pushDispatcher(),
      ai: () => this.ai(),
    };
    await Promise.all(dependencies.map((dependency) => opening[dependency]()));
  }

  /**
   * Embedded stores are for `npm start`; in production each process would silently keep its own
   * database, cache or key. Name the first missing variable instead.
   */
  private async refuseEmbeddedStores(dependencies: Dependency[]): Promise<void> {
    const required: Record<Dependency, keyof Config | undefined> = {
      sql: 'DATABASE_URL',
      kv: 'REDIS_URL',
      events: 'REDIS_URL',
      mail: 'SMTP_URL',
      'signing-key': 'JWT_PRIVATE_KEY',
      'verify-key': 'JWT_PUBLIC_KEY',
      messages: undefined,
      // A directory per container would lose files whenever the container goes.
      blobs: 'S3_BUCKET',
      // Optional integrations: without them calls are P2P, notifications go to the log and AI is off.
      calls: undefined,
      push: undefined,
      'push-providers': undefined,
      ai: undefined,
    };
    for (const dependency of dependencies) {
      const variable = required[dependency];
      if (variable && this.config[variable] === undefined) {
        const { ConfigError } = await import('../config/env');
        throw new ConfigError(
          `${variable}: required when NODE_ENV=production (this process uses ${dependency})`,
        );
      }
    }
  }

  /** From now on /readyz answers 503, so load balancers stop sending new work. */
  beginShutdown(): void {
    this.shuttingDown = true;
  }

  async readiness(dependencies: Dependency[]): Promise<ReadinessReport> {
    if (this.shuttingDown)
      return { status: 'down', checks: { shutdown: { status: 'down', detail: 'draining' } } };
    const probes: Record<Dependency, () => Promise<{ status: CheckStatus; detail?: string }>> = {
      sql: async () => {
        await (await this.database()).ping();
        return { status: 'ok' };
      },
      kv: async () => {
        const store = await this.keyValueStore();
        if (store.degraded)
          return { status: 'degraded', detail: 'Redis unreachable; in-process fallback serving' };
        await store.ping();
        return { status: 'ok' };
      },
      mail: async () => {
        await this.mailer();
        return { status: 'ok', detail: this.config.SMTP_URL ? 'smtp' : 'log (embedded)' };
      },
      'signing-key': async () => {
        await this.accessTokens();
        return { status: 'ok' };
      },
      'verify-key': async () => {
        await this.accessTokens();
        return { status: 'ok' };
      },
      messages: async () => {
        const store = await this.messageStore();
        await store.lastSeq('00000000-0000-0000-0000-000000000000');
        return { status: 'ok', detail: store.kind };
      },
      events: async () => {
        const bus = await this.eventBus();
        return bus.degraded
          ? {
              status: 'degraded',
              detail: 'Redis unreachable; events reach this process only, gateways poll the log',
            }
          : { status: 'ok' };
      },
      // Never `down` once built: chat goes on without S3 (SPEC §8), only the drive answers 503.
      blobs: async () => {
        const store = await this.blobStore();
        const kind = store.kind === 's3' ? 's3' : 'local (embedded)';
        if (store.degraded)
          return { status: 'degraded', detail: `${kind}: unreachable, circuit open; drive calls answer 503` };
        try {
          await store.ping();
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          return { status: 'degraded', detail: `${kind}: ${reason}` };
        }
        return { status: 'ok', detail: kind };
      },
      calls: async () => ({ status: 'ok', detail: (await this.sfu()) ? 'livekit' : 'p2p (no LiveKit)' }),
      push: async () => {
        await this.pushQueue();
        return { status: 'ok', detail: this.config.PUSH_DISPATCH_URL ? 'async invocation' : 'in-process' };
      },
      'push-providers': async () => {
        await this.pushDispatcher();
        const via = (configured: unknown) => (configured ? 'sends' : 'log (embedded)');
        return {
          status: 'ok',
          detail: `fcm: ${via(this.config.FCM_SERVICE_ACCOUNT)}, apns: ${via(this.config.APNS_KEY)}`,
        };
      },
      // Not probed: the server may bill per call, and AI being off or away degrades nothing else.
      ai: async () => ({ status: 'ok', detail: (await this.ai()).describe() }),
    };
    const entries = await Promise.all(
      dependencies.map(async (dependency) => {
        try {
          return [dependency, await probes[dependency]()] as const;
        } catch (error) {
          const detail = error instanceof Error ? error.message : String(error);
          return [dependency, { status: 'down' as const, detail }] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const statuses = entries.map(([, check]) => check.status);
    const status: CheckStatus = statuses.includes('down')
      ? 'down'
      : statuses.includes('degraded')
        ? 'degraded'
        : 'ok';
    return { status, checks };
  }

  async close(): Promise<void> {
    for (const close of this.closers.splice(0).reverse()) {
      await close().catch((error) => this.logger.warn({ err: error }, 'closing a dependency failed'));
    }
    this.instances.clear();
  }
}
