/** A local HTTP/2 server speaking APNs' provider API, for tests. */
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import {
  createSecureServer,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { localhostCertificate } from './certificates';
import { type PushOutcome, parseJson, readBody, retryAfterHeader, Script } from './push-outcomes';

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
