import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import * as v from 'valibot';
import { ConfigError } from '../config/env';
import type { Logger } from '../observability/logger';
import {
  type AttemptOutcome,
  DEFAULT_RETRY_POLICY,
  deliver,
  describeError,
  parseRetryAfter,
  type RetryPolicy,
  timeToLiveSeconds,
} from './delivery';
import type { PushMessage, PushProvider, PushResult } from './push-provider';

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google accepts assertions valid for at most an hour. */
const ASSERTION_LIFETIME_SECONDS = 3600;
/** Fetch a new access token this long before the old one expires, so none is sent stale. */
const REFRESH_MARGIN_SECONDS = 60;

/** The fields of a Google service-account key file (JSON) that the OAuth exchange needs. */
const ServiceAccountSchema = v.object(
  {
    type: v.optional(v.literal('service_account', 'must be "service_account"')),
    project_id: v.pipe(v.string('must be a string'), v.nonEmpty('is empty')),
    client_email: v.pipe(v.string('must be a string'), v.email('must be an email address')),
    private_key: v.pipe(v.string('must be a string'), v.includes('PRIVATE KEY', 'must be a PEM private key')),
    private_key_id: v.optional(v.string('must be a string')),
    token_uri: v.optional(
      v.pipe(v.string('must be a string'), v.url('must be a URL')),
      'https://oauth2.googleapis.com/token',
    ),
  },
  'must be a JSON object',
);

export type ServiceAccount = v.InferOutput<typeof ServiceAccountSchema>;

export interface FcmProviderOptions {
  /** FCM_SERVICE_ACCOUNT: the service-account key file's JSON text. */
  serviceAccount: string;
  /** FCM_API_URL, e.g. `https://fcm.googleapis.com`. */
  apiUrl: string;
  logger: Logger;
  retry?: Partial<RetryPolicy>;
}

/** A failure to obtain an access token; `transient` ones (network, 429, 5xx) are retried. */
class TokenRequestError extends Error {
  constructor(
    readonly reason: string,
    readonly transient: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(reason);
  }
}

/** The `error` member of a Google API error response (google.rpc.Status). */
interface GoogleError {
  status?: string;
  message?: string;
  details?: Array<{ '@type'?: string; errorCode?: string; fieldViolations?: Array<{ field?: string }> }>;
}

/**
 * FCM HTTP v1 (SPEC §9). Authenticates as the service account: a JWT assertion signed with its
 * key is exchanged at its `token_uri` for an access token, kept until shortly before it expires
 * and shared by concurrent sends. A 401 drops it and retries once with a new one.
 */
export class FcmProvider implements PushProvider {
  readonly name = 'fcm';
  readonly #account: ServiceAccount;
  readonly #key: KeyObject;
  readonly #sendUrl: string;
  readonly #logger: Logger;
  readonly #retry: RetryPolicy;
  #accessToken: { value: string; refreshAt: number } | undefined;
  #pendingToken: Promise<string> | undefined;

  /** @throws ConfigError naming FCM_SERVICE_ACCOUNT when the key file is unusable. */
  constructor({ serviceAccount, apiUrl, logger, retry }: FcmProviderOptions) {
    this.#account = parseServiceAccount(serviceAccount);
    this.#key = readRsaKey(this.#account.private_key);
    // Appended, not resolved: FCM_API_URL may carry a path (a proxy in front of FCM).
    const project = encodeURIComponent(this.#account.project_id);
    this.#sendUrl = `${apiUrl.replace(/\/+$/, '')}/v1/projects/${project}/messages:send`;
    this.#logger = logger;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...retry };
  }

  async send(message: PushMessage): Promise<PushResult> {
    const body = JSON.stringify(fcmRequest(message));
    const delivery = await deliver(this.#retry, (signal) => this.#attempt(body, signal));
    if (delivery.result === 'failed') {
      const { attempts, reason } = delivery;
      this.#logger.warn({ provider: 'fcm', attempts, reason }, 'push delivery failed');
    }
    return delivery.result;
  }

  async close(): Promise<void> {}

  async #attempt(body: string, signal: AbortSignal): Promise<AttemptOutcome> {
    for (let reauthenticated = false; ; reauthenticated = true) {
      let token: string;
      try {
        token = await this.#token();
      } catch (error) {
        if (!(error instanceof TokenRequestError)) throw error;
        if (!error.transient) return { result: 'failed', reason: error.reason };
        return { result: 'retry', reason: error.reason, retryAfterMs: error.retryAfterMs };
      }
      const response = await fetch(this.#sendUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
        body,
        signal,
      });
      const text = await response.text();
      if (response.ok) return { result: 'sent' };
      if (response.status === 401 && !reauthenticated) {
        // Revoked or expired early: only this token goes, not one a concurrent send just fetched.
        if (this.#accessToken?.value === token) this.#accessToken = undefined;
        continue;
      }
      return classifyFailure(response, parseGoogleError(text));
    }
  }

  /** The cached access token, or the one being fetched: concurrent sends share one request. */
  #token(): Promise<string> {
    if (this.#accessToken !== undefined && Date.now() < this.#accessToken.refreshAt) {
      return Promise.resolve(this.#accessToken.value);
    }
    this.#pendingToken ??= this.#fetchToken().finally(() => {
      this.#pendingToken = undefined;
    });
    return this.#pendingToken;
  }

  async #fetchToken(): Promise<string> {
    const { client_email, token_uri, private_key_id } = this.#account;
    const now = Math.floor(Date.now() / 1000);
    const assertion = await new SignJWT({ scope: SCOPE })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(private_key_id ? { kid: private_key_id } : {}) })
      .setIssuer(client_email)
      .setAudience(token_uri)
      .setIssuedAt(now)
      .setExpirationTime(now + ASSERTION_LIFETIME_SECONDS)
      .sign(this.#key);
    let response: Response;
    try {
      response = await fetch(token_uri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT, assertion }),
        // Not the send's signal: concurrent sends share this request, so no one of them may cancel it.
        signal: AbortSignal.timeout(this.#retry.attemptTimeoutMs),
      });
    } catch (error) {
      throw new TokenRequestError(`oauth ${describeError(error)}`, true);
    }
    const text = await response.text();
    if (!response.ok) {
      const { error } = parseJson(text) as { error?: unknown };
      const reason = `oauth ${response.status}${typeof error === 'string' ? ` ${error}` : ''}`;
      const transient = response.status === 429 || response.status >= 500;
      throw new TokenRequestError(reason, transient, parseRetryAfter(response.headers.get('retry-after')));
    }
    const { access_token, expires_in } = parseJson(text) as { access_token?: unknown; expires_in?: unknown };
    if (typeof access_token !== 'string' || typeof expires_in !== 'number' || expires_in <= 0) {
      throw new TokenRequestError('oauth malformed token response', false);
    }
    // Short-lived tokens (tests) are refreshed halfway rather than never cached.
    const margin = Math.min(REFRESH_MARGIN_SECONDS, expires_in / 2);
    this.#accessToken = { value: access_token, refreshAt: Date.now() + (expires_in - margin) * 1000 };
    return access_token;
  }
}

/** The v1 `messages:send` body; `apns` carries the same intent to iOS devices registered with FCM. */
function fcmRequest(message: PushMessage) {
  const { token, title, body, data, urgent, collapseKey } = message;
  const ttl = timeToLiveSeconds(message);
  return {
    message: {
      token,
      notification: body === undefined ? { title } : { title, body },
      data,
      android: {
        priority: urgent ? 'HIGH' : 'NORMAL',
        ttl: `${ttl}s`,
        ...(collapseKey === undefined ? {} : { collapse_key: collapseKey }),
      },
      apns: {
        headers: {
          'apns-priority': urgent ? '10' : '5',
          'apns-expiration': String(Math.floor(Date.now() / 1000) + ttl),
          ...(collapseKey === undefined ? {} : { 'apns-collapse-id': collapseKey }),
        },
      },
    },
  };
}

/** FCM's documented answers: UNREGISTERED and an invalid token end the device; 429/5xx are retried. */
function classifyFailure(response: Response, error: GoogleError): AttemptOutcome {
  const errorCode = error.details?.find((detail) => detail.errorCode !== undefined)?.errorCode;
  const reason = `${response.status} ${errorCode ?? error.status ?? ''}`.trim();
  if (response.status === 429 || response.status >= 500) {
    return { result: 'retry', reason, retryAfterMs: parseRetryAfter(response.headers.get('retry-after')) };
  }
  if (errorCode === 'UNREGISTERED' || namesTheToken(error)) return { result: 'invalid-token' };
  return { result: 'failed', reason };
}

/**
 * INVALID_ARGUMENT covers any bad field; only one about the registration token means the device
 * is gone. A bad payload must not cost a user their device.
 */
function namesTheToken(error: GoogleError): boolean {
  if (error.status !== 'INVALID_ARGUMENT') return false;
  const violations = error.details?.flatMap((detail) => detail.fieldViolations ?? []) ?? [];
  if (violations.length > 0) return violations.some((violation) => violation.field === 'message.token');
  return /registration token/i.test(error.message ?? '');
}

function parseGoogleError(text: string): GoogleError {
  const { error } = parseJson(text) as { error?: unknown };
  return typeof error === 'object' && error !== null ? (error as GoogleError) : {};
}

function parseJson(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : {};
  } catch {
    return {};
  }
}

/** Never quotes the input back: the JSON holds a private key. */
function parseServiceAccount(json: string): ServiceAccount {
  const invalid = (why: string) =>
    new ConfigError(`FCM_SERVICE_ACCOUNT: must be a Google service-account key file (${why})`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw invalid('not valid JSON');
  }
  const result = v.safeParse(ServiceAccountSchema, value);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const field = issue.path?.map((item) => String(item.key)).join('.');
  const why = issue.input === undefined ? 'is missing' : issue.message;
  throw invalid(field ? `${field} ${why}` : issue.message);
}

function readRsaKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new ConfigError('FCM_SERVICE_ACCOUNT: private_key is not a readable PEM private key');
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new ConfigError('FCM_SERVICE_ACCOUNT: private_key must be an RSA key (RS256)');
  }
  return key;
}
