import { generateKeyPairSync, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  createSecureServer,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import * as v from 'valibot';
import { createLogger, type Logger } from '../observability/logger';
import { localhostCertificate } from './certificates';

/** A logger that keeps what it writes, so a test can read what a provider logged (and what not). */
export function capturingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) };
  return { logger: createLogger({ level: 'debug', service: 'test', destination }), lines };
}

/** What a test scripts for one device token; the last outcome given repeats. */
export type PushOutcome =
  | 'ok'
  /** FCM: 404 UNREGISTERED. APNs: 410 Unregistered. */
  | 'unregistered'
  /** FCM: 400 INVALID_ARGUMENT about the registration token. APNs: 400 BadDeviceToken. */
  | 'bad-token'
  /** APNs only: 403 ExpiredProviderToken, whatever token came with the request. */
  | 'expired-provider-token'
  | { status: 429 | 500 | 503; retryAfterSeconds?: number };

/** Per-device scripts: each request for a token takes the next outcome; the last one sticks. */
class Script {
  readonly #outcomes = new Map<string, PushOutcome[]>();

  set(deviceToken: string, outcomes: PushOutcome[]): void {
    this.#outcomes.set(deviceToken, [...outcomes]);
  }

  next(deviceToken: string): PushOutcome {
    const queue = this.#outcomes.get(deviceToken);
    if (queue === undefined || queue.length === 0) return 'ok';
    return (queue.length > 1 ? queue.shift() : queue[0]) as PushOutcome;
  }
}

const retryAfterHeader = ({ retryAfterSeconds }: { retryAfterSeconds?: number }): Record<string, string> =>
  retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };

const readBody = async (stream: Readable): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

// ---------------------------------------------------------------------------------------------
// FCM HTTP v1 and Google's OAuth token endpoint
// ---------------------------------------------------------------------------------------------

const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** A service-account key file as Google issues it, and the public half of its key. */
export interface GeneratedServiceAccount {
  /** The JSON text, for FCM_SERVICE_ACCOUNT. */
  json: string;
  projectId: string;
  clientEmail: string;
  privateKeyId: string;
  tokenUri: string;
  publicKey: KeyObject;
}

/** A fresh RSA-2048 service account whose `token_uri` is `tokenUri`. */
export function generateServiceAccount(
  tokenUri: string,
  projectId = 'secureconnect-test',
): GeneratedServiceAccount {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = `firebase-adminsdk@${projectId}.iam.gserviceaccount.com`;
  const privateKeyId = randomBytes(20).toString('hex');
  const json = JSON.stringify({
    type: 'service_account',
    project_id: projectId,
    private_key_id: privateKeyId,
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    client_email: clientEmail,
    client_id: '100000000000000000000',
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
  });
  return { json, projectId, clientEmail, privateKeyId, tokenUri, publicKey };
}

/** One request to the token endpoint, and what the fake found in its assertion. */
export interface FcmTokenRequest {
  status: number;
  /** The OAuth error answered, when refused (`invalid_grant`, `invalid_scope`, …). */
  error?: string;
  claims?: JWTPayload;
}

/** One request to `messages:send`. */
export interface FcmSendRequest {
  project: string;
  /** The access token presented, when it was one the fake issued and still valid. */
  accessToken?: string;
  /** The request body's `message`, as received (before validation). */
  message?: Record<string, unknown>;
  status: number;
}

export interface FakeFcm {
  /** `http://127.0.0.1:<port>`, for FCM_API_URL. */
  url: string;
  /** The service account the fake trusts; its `token_uri` is the fake's `/token`. */
  account: GeneratedServiceAccount;
  /** FCM_SERVICE_ACCOUNT and FCM_API_URL pointing at this fake. */
  env(): Record<string, string>;
  tokenRequests: FcmTokenRequest[];
  sends: FcmSendRequest[];
  /** `expires_in` of the access tokens issued from now on. */
  tokenLifetimeSeconds: number;
  /** Scripts the answers to sends for one registration token. */
  script(deviceToken: string, ...outcomes: PushOutcome[]): void;
  /** Answers the next token requests with these statuses (5xx or 429), one each. */
  failTokenRequests(...statuses: number[]): void;
  /** Forgets every access token issued, as a revocation would: sends with them get 401. */
  revokeAccessTokens(): void;
  close(): Promise<void>;
}

/**
 * The `messages:send` body as the v1 reference documents it (the subset a notification uses).
 * Strict, as Google's API is: an unknown field name is a 400, not silently ignored.
 */
const FcmSendSchema = v.strictObject({
  message: v.strictObject({
    token: v.pipe(v.string(), v.nonEmpty()),
    notification: v.optional(
      v.strictObject({
        title: v.optional(v.string()),
        body: v.optional(v.string()),
        image: v.optional(v.string()),
      }),
    ),
    data: v.optional(v.record(v.string(), v.string())),
    android: v.optional(
      v.strictObject({
        priority: v.optional(v.picklist(['NORMAL', 'HIGH'])),
        collapse_key: v.optional(v.string()),
        ttl: v.optional(v.pipe(v.string(), v.regex(/^\d+(?:\.\d{1,9})?s$/))),
      }),
    ),
    apns: v.optional(
      v.strictObject({
        headers: v.optional(v.record(v.string(), v.string())),
        payload: v.optional(v.record(v.string(), v.unknown())),
      }),
    ),
  }),
  validate_only: v.optional(v.boolean()),
});

/** Data keys FCM reserves for itself. */
const isReservedDataKey = (key: string) =>
  key === 'from' || key === 'message_type' || key.startsWith('google.') || key.startsWith('gcm.');

const googleError = (
  response: ServerResponse,
  code: number,
  status: string,
  message: string,
  details: unknown[] = [],
  headers: Record<string, string> = {},
) => {
  response.writeHead(code, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  response.end(JSON.stringify({ error: { code, message, status, details } }));
};

const fcmError = (errorCode: string) => ({
  '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError',
  errorCode,
});

const STATUS_NAMES: Record<number, string> = {
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};
const FCM_ERROR_CODES: Record<number, string> = {
  429: 'QUOTA_EXCEEDED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/**
 * Google's OAuth token endpoint and FCM HTTP v1 on one local HTTP server (SPEC §11). The token
 * endpoint verifies the JWT assertion's RS256 signature with the service account's PUBLIC key and
 * its claims (iss, aud, scope, iat/exp at most an hour apart); sends need an access token it issued
 * that has not expired, and a body of the documented shape.
 */
export async function startFakeFcm(): Promise<FakeFcm> {
  const issued = new Map<string, number>();
  const script = new Script();
  const failures: number[] = [];
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500).end(String(error));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const account = generateServiceAccount(`${url}/token`);

  const fake: FakeFcm = {
    url,
    account,
    env: () => ({ FCM_SERVICE_ACCOUNT: account.json, FCM_API_URL: url }),
    tokenRequests: [],
    sends: [],
    tokenLifetimeSeconds: 3599,
    script: (deviceToken, ...outcomes) => script.set(deviceToken, outcomes),
    failTokenRequests: (...statuses) => failures.push(...statuses),
    revokeAccessTokens: () => issued.clear(),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const path = new URL(request.url ?? '/', url).pathname;
    if (request.method === 'POST' && path === '/token') return token(body, response);
    const send = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(path);
    if (request.method === 'POST' && send)
      return messagesSend(decodeURIComponent(send[1] as string), request, body, response);
    googleError(response, 404, 'NOT_FOUND', 'Not found.');
  }

  async function token(body: string, response: ServerResponse): Promise<void> {
    const refuse = (status: number, error: string, description: string) => {
      fake.tokenRequests.push({ status, error });
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error, error_description: description }));
    };
    const failure = failures.shift();
    if (failure !== undefined) return refuse(failure, 'internal_failure', 'Scripted failure.');
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== JWT_BEARER_GRANT) {
      return refuse(400, 'unsupported_grant_type', 'Invalid grant_type.');
    }
    const assertion = form.get('assertion') ?? '';
    let claims: JWTPayload;
    try {
      const { kid } = decodeProtectedHeader(assertion);
      if (kid !== undefined && kid !== account.privateKeyId) throw new Error('unknown kid');
      ({ payload: claims } = await jwtVerify(assertion, account.publicKey, {
        algorithms: ['RS256'],
        issuer: account.clientEmail,
        audience: account.tokenUri,
        requiredClaims: ['iat', 'exp'],
      }));
    } catch {
      return refuse(400, 'invalid_grant', 'Invalid JWT Signature.');
    }
    if ((claims.exp as number) - (claims.iat as number) > 3600) {
      return refuse(400, 'invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes).');
    }
    if (claims.scope !== FCM_SCOPE) return refuse(400, 'invalid_scope', 'Invalid OAuth scope.');
    const accessToken = `ya29.${randomBytes(24).toString('base64url')}`;
    const expiresIn = fake.tokenLifetimeSeconds;
    issued.set(accessToken, Date.now() + expiresIn * 1000);
    fake.tokenRequests.push({ status: 200, claims });
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ access_token: accessToken, expires_in: expiresIn, token_type: 'Bearer' }));
  }

  async function messagesSend(
    project: string,
    request: IncomingMessage,
    body: string,
    response: ServerResponse,
  ): Promise<void> {
    const received = parseJson(body) as { message?: Record<string, unknown> } | undefined;
    const record: FcmSendRequest = {
      project,
      status: 0,
      ...(received?.message ? { message: received.message } : {}),
    };
    fake.sends.push(record);
    const answer = (
      status: string,
      code: number,
      message: string,
      details?: unknown[],
      headers?: Record<string, string>,
    ) => {
      record.status = code;
      googleError(response, code, status, message, details, headers);
    };
    const presented = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    const expiresAt = presented === undefined ? undefined : issued.get(presented);
    if (presented === undefined || expiresAt === undefined || expiresAt <= Date.now()) {
      return answer('UNAUTHENTICATED', 401, 'Request had invalid authentication credentials.');
    }
    record.accessToken = presented;
    if (project !== account.projectId) {
      return answer('PERMISSION_DENIED', 403, `Permission denied on project ${project}.`);
    }
    const parsed = v.safeParse(FcmSendSchema, parseJson(body));
    if (!parsed.success) {
      const field = parsed.issues[0].path?.map((item) => String(item.key)).join('.') ?? '';
      return answer('INVALID_ARGUMENT', 400, `Invalid value at '${field}'.`, [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: [{ field, description: parsed.issues[0].message }],
        },
      ]);
    }
    const { message } = parsed.output;
    const reserved = Object.keys(message.data ?? {}).find(isReservedDataKey);
    if (reserved !== undefined) {
      return answer('INVALID_ARGUMENT', 400, `Invalid data payload key: ${reserved}`, [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: [{ field: 'message.data', description: `Invalid data payload key: ${reserved}` }],
        },
      ]);
    }
    const priority = message.apns?.headers?.['apns-priority'];
    if (priority !== undefined && !['5', '10'].includes(priority)) {
      return answer('INVALID_ARGUMENT', 400, 'Invalid APNs priority.', [fcmError('INVALID_ARGUMENT')]);
    }
    const outcome = script.next(message.token);
    if (outcome === 'unregistered') {
      return answer('NOT_FOUND', 404, 'Requested entity was not found.', [fcmError('UNREGISTERED')]);
    }
    if (outcome === 'bad-token' || !/^[\w:-]+$/.test(message.token)) {
      return answer('INVALID_ARGUMENT', 400, 'The registration token is not a valid FCM registration token', [
        fcmError('INVALID_ARGUMENT'),
      ]);
    }
    if (typeof outcome === 'object') {
      return answer(
        STATUS_NAMES[outcome.status] as string,
        outcome.status,
        'Scripted failure.',
        [fcmError(FCM_ERROR_CODES[outcome.status] as string)],
        retryAfterHeader(outcome),
      );
    }
    record.status = 200;
    response.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' });
    response.end(JSON.stringify({ name: `projects/${project}/messages/${randomUUID()}` }));
  }

  return fake;
}

// ---------------------------------------------------------------------------------------------
// APNs
// ---------------------------------------------------------------------------------------------

/** One request as the fake APNs received and judged it. */
export interface ApnsRequest {
  /** Which HTTP/2 session carried it, numbered from 1 in the order they connected. */
  session: number;
  method: string;
  path: string;
  deviceToken: string;
  /** Request headers, pseudo-headers left out. */
  headers: Record<string, string>;
  /** The provider token (the `authorization: bearer …` value). */
  jwt?: string;
  payload?: unknown;
  status: number;
  reason?: string;
}

export interface FakeApns {
  /** `https://127.0.0.1:<port>`, for APNS_URL. */
  url: string;
  /** The throwaway certificate the server presents; trust it through the provider's `ca`. */
  ca: string;
  /** The .p8 key (PKCS#8 PEM, P-256) whose public half the fake verifies provider tokens with. */
  key: string;
  keyId: string;
  teamId: string;
  topic: string;
  /** APNS_* variables pointing at this fake (APNS_URL still needs the `ca` to be trusted). */
  env(): Record<string, string>;
  requests: ApnsRequest[];
  /** HTTP/2 sessions opened so far. */
  sessions(): number;
  script(deviceToken: string, ...outcomes: PushOutcome[]): void;
  /** Closes every open session (GOAWAY), as APNs does to idle or old connections. */
  dropConnections(): Promise<void>;
  close(): Promise<void>;
}

const APNS_REASONS: Record<number, string> = {
  429: 'TooManyRequests',
  500: 'InternalServerError',
  503: 'ServiceUnavailable',
};
const PUSH_TYPES = new Set([
  'alert',
  'background',
  'location',
  'voip',
  'complication',
  'fileprovider',
  'mdm',
  'liveactivity',
  'pushtotalk',
]);

/**
 * APNs' provider API on a local HTTP/2 server over TLS (SPEC §11): verifies the provider token
 * (ES256 with the public half of the key it generated, `kid`, `iss`, `iat` within the hour), the
 * topic, the device token in the path and the documented headers and payload, then answers as
 * scripted per device token.
 */
export async function startFakeApns(): Promise<FakeApns> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyId = randomBytes(5).toString('hex').toUpperCase();
  const teamId = randomBytes(5).toString('hex').toUpperCase();
  const topic = 'dev.secureconnect.app';
  const { key: tlsKey, cert } = localhostCertificate();
  const script = new Script();
  const open = new Set<ServerHttp2Session>();
  let sessionCount = 0;
  const sessionNumbers = new WeakMap<ServerHttp2Session, number>();

  const server = createSecureServer({ key: tlsKey, cert });
  server.on('session', (session: ServerHttp2Session) => {
    sessionNumbers.set(session, ++sessionCount);
    open.add(session);
    session.on('close', () => open.delete(session));
  });
  server.on('stream', (stream, headers) => {
    readBody(stream)
      .then((body) => answer(stream, headers, body))
      .catch(() => stream.close());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const key = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

  const fake: FakeApns = {
    url,
    ca: cert,
    key,
    keyId,
    teamId,
    topic,
    env: () => ({
      APNS_KEY: key,
      APNS_KEY_ID: keyId,
      APNS_TEAM_ID: teamId,
      APNS_TOPIC: topic,
      APNS_URL: url,
    }),
    requests: [],
    sessions: () => sessionCount,
    script: (deviceToken, ...outcomes) => script.set(deviceToken, outcomes),
    dropConnections: async () => {
      await Promise.all(
        [...open].map(async (session) => {
          const closed = once(session, 'close');
          session.close();
          await closed;
        }),
      );
    },
    close: async () => {
      for (const session of open) session.destroy();
      server.close();
      await once(server, 'close');
    },
  };

  async function answer(
    stream: ServerHttp2Stream,
    received: IncomingHttpHeaders,
    body: string,
  ): Promise<void> {
    const path = String(received[':path']);
    const headers = Object.fromEntries(
      Object.entries(received)
        .filter(([name]) => !name.startsWith(':'))
        .map(([name, value]) => [name, String(value)]),
    );
    const authorization = /^bearer (\S+)$/.exec(headers.authorization ?? '')?.[1];
    const record: ApnsRequest = {
      session: sessionNumbers.get(stream.session as ServerHttp2Session) ?? 0,
      method: String(received[':method']),
      path,
      deviceToken: decodeURIComponent(/^\/3\/device\/([^/]*)$/.exec(path)?.[1] ?? ''),
      headers,
      ...(authorization === undefined ? {} : { jwt: authorization }),
      payload: parseJson(body),
      status: 0,
    };
    fake.requests.push(record);
    const respond = (
      status: number,
      reason?: string,
      extra: Record<string, unknown> = {},
      responseHeaders: Record<string, string> = {},
    ) => {
      record.status = status;
      if (reason !== undefined) record.reason = reason;
      const apnsId = headers['apns-id'] ?? randomUUID();
      if (reason === undefined) {
        stream.respond({ ':status': status, 'apns-id': apnsId, ...responseHeaders }, { endStream: true });
        return;
      }
      stream.respond({
        ':status': status,
        'apns-id': apnsId,
        'content-type': 'application/json',
        ...responseHeaders,
      });
      stream.end(JSON.stringify({ reason, ...extra }));
    };

    if (record.method !== 'POST') return respond(405, 'MethodNotAllowed');
    if (!path.startsWith('/3/device/')) return respond(404, 'BadPath');
    const problem = await verifyProviderToken(authorization);
    if (problem !== undefined) return respond(403, problem);
    if (headers['apns-topic'] === undefined) return respond(400, 'MissingTopic');
    if (headers['apns-topic'] !== topic) return respond(400, 'TopicDisallowed');
    if (record.deviceToken === '') return respond(400, 'MissingDeviceToken');
    if (!/^[0-9a-f]{64,200}$/i.test(record.deviceToken)) return respond(400, 'BadDeviceToken');
    if (!PUSH_TYPES.has(headers['apns-push-type'] ?? '')) return respond(400, 'InvalidPushType');
    if (!['1', '5', '10', undefined].includes(headers['apns-priority'])) return respond(400, 'BadPriority');
    if (headers['apns-expiration'] !== undefined && !/^\d+$/.test(headers['apns-expiration'])) {
      return respond(400, 'BadExpirationDate');
    }
    if (Buffer.byteLength(headers['apns-collapse-id'] ?? '') > 64) return respond(400, 'BadCollapseId');
    if (body === '') return respond(400, 'PayloadEmpty');
    if (Buffer.byteLength(body) > 4096) return respond(413, 'PayloadTooLarge');
    const aps = (record.payload as { aps?: { alert?: unknown } } | undefined)?.aps;
    // Not one of Apple's reasons: the fake's own, so a test sees what was wrong with the payload.
    if (typeof aps !== 'object' || aps === null) return respond(400, 'FakeMalformedPayload');
    if (headers['apns-push-type'] === 'alert' && aps.alert === undefined)
      return respond(400, 'FakeMalformedPayload');

    const outcome = script.next(record.deviceToken);
    if (outcome === 'unregistered') return respond(410, 'Unregistered', { timestamp: Date.now() });
    if (outcome === 'bad-token') return respond(400, 'BadDeviceToken');
    if (outcome === 'expired-provider-token') return respond(403, 'ExpiredProviderToken');
    if (typeof outcome === 'object') {
      return respond(outcome.status, APNS_REASONS[outcome.status], {}, retryAfterHeader(outcome));
    }
    respond(200);
  }

  /** The 403 reason APNs would give for this provider token, or undefined when it is good. */
  async function verifyProviderToken(jwt: string | undefined): Promise<string | undefined> {
    if (jwt === undefined) return 'MissingProviderToken';
    try {
      const header = decodeProtectedHeader(jwt);
      if (header.kid !== keyId) return 'InvalidProviderToken';
      const { payload } = await jwtVerify(jwt, publicKey, {
        algorithms: ['ES256'],
        issuer: teamId,
        requiredClaims: ['iat'],
      });
      if ((payload.iat as number) < Date.now() / 1000 - 3600) return 'ExpiredProviderToken';
      return undefined;
    } catch {
      return 'InvalidProviderToken';
    }
  }

  return fake;
}
