/** A local server speaking FCM HTTP v1 and Google's OAuth token endpoint, for tests. */
import { generateKeyPairSync, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import * as v from 'valibot';
import { type PushOutcome, parseJson, readBody, retryAfterHeader, Script } from './push-outcomes';

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
