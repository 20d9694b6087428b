import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/env';
import { createLogger } from '../observability/logger';
import { type FakeFcm, generateServiceAccount, startFakeFcm } from '../testing/fake-fcm';
import { capturingLogger } from '../testing/push-outcomes';
import { FcmProvider } from './fcm-provider';
import type { PushMessage } from './push-provider';

const logger = createLogger({ level: 'silent', service: 'test' });

let fcm: FakeFcm;
beforeAll(async () => {
  fcm = await startFakeFcm();
});
afterAll(async () => {
  await fcm?.close();
});

const deviceToken = () => `d${randomBytes(8).toString('hex')}:APA91b${randomBytes(48).toString('base64url')}`;

const message = (token: string, overrides: Partial<PushMessage> = {}): PushMessage => ({
  token,
  title: 'Ana',
  body: 'See you at eight',
  data: { kind: 'message', conversationId: 'c-1' },
  urgent: false,
  collapseKey: 'c-1',
  ...overrides,
});

const provider = (options: Partial<ConstructorParameters<typeof FcmProvider>[0]> = {}) =>
  new FcmProvider({ serviceAccount: fcm.account.json, apiUrl: fcm.url, logger, ...options });

/** What the fake received for one registration token, in order. */
const sendsTo = (token: string) => fcm.sends.filter((send) => send.message?.token === token);

describe('FCM provider: sending', () => {
  it('posts the documented v1 message with an OAuth token obtained with a signed assertion', async () => {
    const token = deviceToken();
    const tokenRequestsBefore = fcm.tokenRequests.length;
    const before = Math.floor(Date.now() / 1000);
    expect(await provider().send(message(token))).toBe('sent');

    const [send] = sendsTo(token);
    expect(send).toMatchObject({ project: fcm.account.projectId, status: 200 });
    expect(send?.message).toEqual({
      token,
      notification: { title: 'Ana', body: 'See you at eight' },
      data: { kind: 'message', conversationId: 'c-1' },
      android: { priority: 'NORMAL', ttl: '86400s', collapse_key: 'c-1' },
      apns: {
        headers: {
          'apns-priority': '5',
          'apns-expiration': expect.stringMatching(/^\d+$/),
          'apns-collapse-id': 'c-1',
        },
      },
    });
    const apns = send?.message?.apns as { headers?: Record<string, string> } | undefined;
    const expiration = Number(apns?.headers?.['apns-expiration']);
    expect(expiration - before).toBeGreaterThanOrEqual(86_400);
    expect(expiration - before).toBeLessThan(86_400 + 60);

    const [tokenRequest] = fcm.tokenRequests.slice(tokenRequestsBefore);
    expect(tokenRequest?.status).toBe(200);
    const claims = tokenRequest?.claims ?? {};
    expect(claims).toMatchObject({
      iss: fcm.account.clientEmail,
      aud: fcm.account.tokenUri,
      scope: 'https://www.googleapis.com/auth/firebase.messaging',
    });
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(3600);
  });

  it('marks a ringing call urgent (HIGH, apns-priority 10, one minute to live) and leaves out what is absent', async () => {
    const token = deviceToken();
    const urgent = message(token, { urgent: true, data: { kind: 'call' } });
    delete urgent.body;
    delete urgent.collapseKey;
    expect(await provider().send(urgent)).toBe('sent');
    expect(sendsTo(token)[0]?.message).toEqual({
      token,
      notification: { title: 'Ana' },
      data: { kind: 'call' },
      android: { priority: 'HIGH', ttl: '60s' },
      apns: { headers: { 'apns-priority': '10', 'apns-expiration': expect.stringMatching(/^\d+$/) } },
    });
  });
});

describe('FCM provider: the OAuth access token', () => {
  it('is fetched once for many sends, concurrent ones included, and reused', async () => {
    const fcmProvider = provider();
    const before = fcm.tokenRequests.length;
    const tokens = Array.from({ length: 10 }, deviceToken);
    expect(await Promise.all(tokens.map((token) => fcmProvider.send(message(token))))).toEqual(
      tokens.map(() => 'sent'),
    );
    for (const token of tokens.slice(0, 3)) expect(await fcmProvider.send(message(token))).toBe('sent');

    expect(fcm.tokenRequests.length - before).toBe(1);
    const presented = new Set(tokens.flatMap((token) => sendsTo(token).map((send) => send.accessToken)));
    expect(presented.size).toBe(1);
  });

  it('is fetched again once it expires, before FCM would refuse it', async () => {
    fcm.tokenLifetimeSeconds = 1;
    try {
      const fcmProvider = provider();
      const before = fcm.tokenRequests.length;
      const token = deviceToken();
      expect(await fcmProvider.send(message(token))).toBe('sent');
      expect(await fcmProvider.send(message(token))).toBe('sent');
      expect(fcm.tokenRequests.length - before).toBe(1);
      await sleep(1100);
      expect(await fcmProvider.send(message(token))).toBe('sent');
      expect(fcm.tokenRequests.length - before).toBe(2);
      const sends = sendsTo(token);
      expect(sends.map((send) => send.status)).toEqual([200, 200, 200]);
      expect(sends[2]?.accessToken).not.toBe(sends[0]?.accessToken);
    } finally {
      fcm.tokenLifetimeSeconds = 3599;
    }
  });

  it('is dropped on a 401 and the send retried once with a new one', async () => {
    const fcmProvider = provider();
    const token = deviceToken();
    expect(await fcmProvider.send(message(token))).toBe('sent');
    const before = fcm.tokenRequests.length;
    fcm.revokeAccessTokens();
    expect(await fcmProvider.send(message(token))).toBe('sent');
    expect(fcm.tokenRequests.length - before).toBe(1);
    expect(sendsTo(token).map((send) => send.status)).toEqual([200, 401, 200]);
  });

  it('is requested again when the token endpoint fails transiently', async () => {
    const fcmProvider = provider();
    const before = fcm.tokenRequests.length;
    fcm.failTokenRequests(503);
    expect(await fcmProvider.send(message(deviceToken()))).toBe('sent');
    expect(fcm.tokenRequests.slice(before).map((request) => request.status)).toEqual([503, 200]);
  });

  it('is refused when the assertion is not signed with the service account key: the send fails', async () => {
    // Same account, other key pair: the fake verifies with the public key it trusts.
    const forged = JSON.parse(generateServiceAccount(fcm.account.tokenUri, fcm.account.projectId).json);
    const { private_key_id, client_email } = JSON.parse(fcm.account.json);
    const serviceAccount = JSON.stringify({ ...forged, private_key_id, client_email });
    const { logger: capturing, lines } = capturingLogger();
    const before = fcm.tokenRequests.length;
    const token = deviceToken();
    expect(await provider({ serviceAccount, logger: capturing }).send(message(token))).toBe('failed');
    expect(fcm.tokenRequests.slice(before)).toEqual([{ status: 400, error: 'invalid_grant' }]);
    expect(sendsTo(token)).toEqual([]);
    expect(lines.at(-1)).toMatchObject({ level: 'warn', reason: 'oauth 400 invalid_grant', attempts: 1 });
  });
});

describe('FCM provider: answers', () => {
  it('UNREGISTERED → invalid-token, without a retry', async () => {
    const token = deviceToken();
    fcm.script(token, 'unregistered');
    expect(await provider().send(message(token))).toBe('invalid-token');
    expect(sendsTo(token).map((send) => send.status)).toEqual([404]);
  });

  it('INVALID_ARGUMENT about the registration token → invalid-token', async () => {
    const token = deviceToken();
    fcm.script(token, 'bad-token');
    expect(await provider().send(message(token))).toBe('invalid-token');
    expect(sendsTo(token).map((send) => send.status)).toEqual([400]);
  });

  it('503 twice, then 200 → sent after three attempts', async () => {
    const token = deviceToken();
    fcm.script(token, { status: 503 }, { status: 503 }, 'ok');
    expect(await provider().send(message(token))).toBe('sent');
    expect(sendsTo(token).map((send) => send.status)).toEqual([503, 503, 200]);
  });

  it('429 with Retry-After → waits as long before retrying', async () => {
    const token = deviceToken();
    fcm.script(token, { status: 429, retryAfterSeconds: 1 }, 'ok');
    const started = performance.now();
    expect(await provider().send(message(token))).toBe('sent');
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(sendsTo(token).map((send) => send.status)).toEqual([429, 200]);
  });

  it('a Retry-After beyond the send budget → failed at once, not after the wait', async () => {
    const token = deviceToken();
    fcm.script(token, { status: 503, retryAfterSeconds: 30 }, 'ok');
    const started = performance.now();
    expect(await provider().send(message(token))).toBe('failed');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(sendsTo(token).map((send) => send.status)).toEqual([503]);
  });

  it('5xx every time → failed after three attempts, logged without the token', async () => {
    const token = deviceToken();
    fcm.script(token, { status: 500 });
    const { logger: capturing, lines } = capturingLogger();
    expect(await provider({ logger: capturing }).send(message(token))).toBe('failed');
    expect(sendsTo(token).map((send) => send.status)).toEqual([500, 500, 500]);
    expect(lines.at(-1)).toMatchObject({
      level: 'warn',
      provider: 'fcm',
      attempts: 3,
      reason: '500 INTERNAL',
    });
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  it('another 400 (a reserved data key) → failed without a retry, the token kept', async () => {
    const token = deviceToken();
    expect(await provider().send(message(token, { data: { from: 'ana' } }))).toBe('failed');
    expect(sendsTo(token).map((send) => send.status)).toEqual([400]);
  });

  it('an unreachable FCM → failed after the retries, within the budget', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await new Promise((resolve) => closed.once('listening', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const { logger: capturing, lines } = capturingLogger();
    // The token endpoint (the account's token_uri) still answers: the sends are what fail.
    const fcmProvider = provider({ apiUrl: `http://127.0.0.1:${port}`, logger: capturing });
    const started = performance.now();
    expect(await fcmProvider.send(message(deviceToken()))).toBe('failed');
    expect(performance.now() - started).toBeLessThan(3000);
    expect(lines.at(-1)).toMatchObject({ attempts: 3, reason: 'ECONNREFUSED' });
  });
});

describe('FCM provider: the service account', () => {
  const account = () => JSON.parse(fcm.account.json) as Record<string, string>;
  const constructionError = (serviceAccount: string): unknown => {
    try {
      provider({ serviceAccount });
    } catch (error) {
      return error;
    }
    return undefined;
  };

  it('is checked at construction: a bad one is a one-line ConfigError naming FCM_SERVICE_ACCOUNT', () => {
    const { private_key: _, ...withoutKey } = account();
    const ecKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    const unreadableKey = '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----';
    const cases: Array<[string, RegExp]> = [
      ['not json', /not valid JSON/],
      ['"a string"', /must be a JSON object/],
      [JSON.stringify(withoutKey), /private_key is missing/],
      [JSON.stringify({ ...account(), client_email: 'nobody' }), /client_email must be an email address/],
      [JSON.stringify({ ...account(), type: 'authorized_user' }), /type must be "service_account"/],
      [JSON.stringify({ ...account(), private_key: unreadableKey }), /private_key is not a readable PEM/],
      [JSON.stringify({ ...account(), private_key: ecKey }), /private_key must be an RSA key/],
    ];
    for (const [serviceAccount, reason] of cases) {
      const error = constructionError(serviceAccount);
      expect(error).toBeInstanceOf(ConfigError);
      const { message: text } = error as ConfigError;
      expect(text).toMatch(/^FCM_SERVICE_ACCOUNT: /);
      expect(text).toMatch(reason);
      expect(text).not.toContain('\n');
      expect(text).not.toContain('PRIVATE KEY');
    }
  });
});
