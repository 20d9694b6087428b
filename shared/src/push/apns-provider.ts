import { createPrivateKey, type KeyObject } from 'node:crypto';
import { type ClientHttp2Session, connect, type IncomingHttpHeaders } from 'node:http2';
import { SignJWT } from 'jose';
import { ConfigError } from '../config/env';
import type { Logger } from '../observability/logger';
import {
  type AttemptOutcome,
  DEFAULT_RETRY_POLICY,
  deliver,
  parseRetryAfter,
  type RetryPolicy,
  timeToLiveSeconds,
} from './delivery';
import type { PushMessage, PushProvider, PushResult } from './push-provider';

/**
 * A new provider token after 50 minutes: APNs refuses one older than an hour and answers
 * TooManyProviderTokenUpdates to a provider that changes it more often than every 20 minutes.
 */
const PROVIDER_TOKEN_LIFETIME_MS = 50 * 60 * 1000;

/** Reasons APNs gives when the device token will never work again for this app. */
const DEAD_TOKEN_REASONS = new Set(['BadDeviceToken', 'DeviceTokenNotForTopic']);
/** Reasons that a fresh provider token may cure. */
const PROVIDER_TOKEN_REASONS = new Set(['ExpiredProviderToken', 'InvalidProviderToken']);

export interface ApnsProviderOptions {
  /** APNS_KEY: the .p8 signing key (PKCS#8 PEM, P-256). */
  key: string;
  /** APNS_KEY_ID. */
  keyId: string;
  /** APNS_TEAM_ID. */
  teamId: string;
  /** APNS_TOPIC: the app's bundle id. */
  topic: string;
  /** APNS_URL, e.g. `https://api.push.apple.com` (or the sandbox). */
  url: string;
  logger: Logger;
  retry?: Partial<RetryPolicy>;
  /**
   * Tests only: a CA certificate (PEM) to trust for this connection instead of the system's, for a
   * local server with a throwaway certificate. Production leaves it unset.
   */
  ca?: string;
  /** Tests only: the clock (ms since the epoch) that dates provider tokens, moved to age them. */
  now?: () => number;
}

interface ApnsResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * APNs over HTTP/2 with an ES256 provider token (SPEC §9): one session reused by every send and
 * reopened when it closes, one token reused for 50 minutes. A small client on `node:http2` and
 * `jose` rather than @parse/node-apn: see docs/decisions.md, "Push providers".
 */
export class ApnsProvider implements PushProvider {
  readonly name = 'apns';
  readonly #key: KeyObject;
  readonly #keyId: string;
  readonly #teamId: string;
  readonly #topic: string;
  readonly #url: string;
  readonly #ca: string | undefined;
  readonly #logger: Logger;
  readonly #retry: RetryPolicy;
  readonly #now: () => number;
  #session: ClientHttp2Session | undefined;
  #providerToken: { jwt: string; issuedAt: number } | undefined;
  #pendingToken: Promise<string> | undefined;

  /** @throws ConfigError naming APNS_KEY when it is not a P-256 private key. */
  constructor({ key, keyId, teamId, topic, url, logger, retry, ca, now = Date.now }: ApnsProviderOptions) {
    this.#key = readP256Key(key);
    this.#keyId = keyId;
    this.#teamId = teamId;
    this.#topic = topic;
    this.#url = new URL(url).origin;
    this.#ca = ca;
    this.#logger = logger;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...retry };
    this.#now = now;
  }

  async send(message: PushMessage): Promise<PushResult> {
    const body = JSON.stringify(apnsPayload(message));
    const headers = {
      ':method': 'POST',
      ':path': `/3/device/${encodeURIComponent(message.token)}`,
      'apns-topic': this.#topic,
      'apns-push-type': 'alert',
      'apns-priority': message.urgent ? '10' : '5',
      'apns-expiration': String(Math.floor(Date.now() / 1000) + timeToLiveSeconds(message)),
      ...(message.collapseKey === undefined ? {} : { 'apns-collapse-id': message.collapseKey }),
      'content-type': 'application/json',
    };
    const delivery = await deliver(this.#retry, (signal) => this.#attempt(headers, body, signal));
    if (delivery.result === 'failed') {
      const { attempts, reason } = delivery;
      this.#logger.warn({ provider: 'apns', attempts, reason }, 'push delivery failed');
    }
    return delivery.result;
  }

  async close(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    if (session === undefined || session.closed) return;
    await new Promise<void>((resolve) => session.close(resolve));
  }

  async #attempt(
    headers: Record<string, string>,
    body: string,
    signal: AbortSignal,
  ): Promise<AttemptOutcome> {
    for (let refreshed = false; ; refreshed = true) {
      const jwt = await this.#token();
      const response = await this.#request({ ...headers, authorization: `bearer ${jwt}` }, body, signal);
      if (response.status === 200) return { result: 'sent' };
      const { reason } = parseReason(response.body);
      if (
        response.status === 403 &&
        reason !== undefined &&
        PROVIDER_TOKEN_REASONS.has(reason) &&
        !refreshed
      ) {
        // Only the token that was refused goes: a concurrent send may already have replaced it.
        if (this.#providerToken?.jwt === jwt) this.#providerToken = undefined;
        continue;
      }
      const described = `${response.status}${reason === undefined ? '' : ` ${reason}`}`;
      if (response.status === 429 || response.status >= 500) {
        const retryAfter = response.headers['retry-after'];
        const retryAfterMs = parseRetryAfter(typeof retryAfter === 'string' ? retryAfter : undefined);
        return { result: 'retry', reason: described, retryAfterMs };
      }
      if (
        response.status === 410 ||
        (response.status === 400 && reason !== undefined && DEAD_TOKEN_REASONS.has(reason))
      ) {
        return { result: 'invalid-token' };
      }
      return { result: 'failed', reason: described };
    }
  }

  /** One POST on the shared session; rejects on a network failure, a reset stream or the timeout. */
  #request(headers: Record<string, string>, body: string, signal: AbortSignal): Promise<ApnsResponse> {
    const stream = this.#connect().request(headers, { signal });
    return new Promise((resolve, reject) => {
      let responseHeaders: IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      stream.on('response', (received) => {
        responseHeaders = received;
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () =>
        resolve({
          status: Number(responseHeaders[':status']),
          headers: responseHeaders,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      stream.on('error', reject);
      // Closed without an answer or an error (a refused stream, a GOAWAY): transient, so retried.
      stream.on('close', () =>
        reject(Object.assign(new Error('stream closed'), { code: 'ERR_STREAM_CLOSED' })),
      );
      stream.end(body);
    });
  }

  /** The open session, or a new one: APNs wants connections kept open across notifications. */
  #connect(): ClientHttp2Session {
    if (this.#session !== undefined && !this.#session.closed && !this.#session.destroyed)
      return this.#session;
    const session = connect(this.#url, this.#ca === undefined ? {} : { ca: this.#ca });
    const forget = () => {
      if (this.#session === session) this.#session = undefined;
    };
    // Each stream reports the failure to its send; the session only has to be let go.
    session.on('error', (error: NodeJS.ErrnoException) => {
      this.#logger.debug({ provider: 'apns', code: error.code }, 'APNs connection failed');
      forget();
    });
    session.on('goaway', forget);
    session.on('close', forget);
    this.#session = session;
    return session;
  }

  /** The current provider token, or the one being signed: concurrent sends share one. */
  #token(): Promise<string> {
    const current = this.#providerToken;
    if (current !== undefined && this.#now() - current.issuedAt < PROVIDER_TOKEN_LIFETIME_MS) {
      return Promise.resolve(current.jwt);
    }
    this.#pendingToken ??= this.#signToken().finally(() => {
      this.#pendingToken = undefined;
    });
    return this.#pendingToken;
  }

  async #signToken(): Promise<string> {
    const issuedAt = this.#now();
    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: this.#keyId })
      .setIssuer(this.#teamId)
      .setIssuedAt(Math.floor(issuedAt / 1000))
      .sign(this.#key);
    this.#providerToken = { jwt, issuedAt };
    return jwt;
  }
}

/** The notification as APNs documents it; `aps` is set last so no data key can replace it. */
function apnsPayload({ title, body, data, collapseKey }: PushMessage) {
  return {
    ...data,
    aps: {
      alert: body === undefined ? { title } : { title, body },
      sound: 'default',
      ...(collapseKey === undefined ? {} : { 'thread-id': collapseKey }),
    },
  };
}

function parseReason(text: string): { reason?: string } {
  try {
    const { reason } = JSON.parse(text) as { reason?: unknown };
    return typeof reason === 'string' ? { reason } : {};
  } catch {
    return {};
  }
}

function readP256Key(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new ConfigError('APNS_KEY: is not a readable PEM private key (the .p8 file)');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError('APNS_KEY: must be an EC P-256 key (the .p8 file from Apple)');
  }
  return key;
}
