import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/env';
import { createLogger } from '../observability/logger';
import { type FakeApns, startFakeApns } from '../testing/fake-apns';
import { capturingLogger } from '../testing/push-outcomes';
import { ApnsProvider, type ApnsProviderOptions } from './apns-provider';
import type { PushMessage } from './push-provider';

const logger = createLogger({ level: 'silent', service: 'test' });
const MINUTE = 60_000;

let apns: FakeApns;
beforeAll(async () => {
  apns = await startFakeApns();
});
afterAll(async () => {
  await apns?.close();
});

/** Providers opened by a test, closed after it. */
const opened: ApnsProvider[] = [];
afterAll(async () => {
  await Promise.all(opened.map((provider) => provider.close()));
});

const deviceToken = () => randomBytes(32).toString('hex');

const message = (token: string, overrides: Partial<PushMessage> = {}): PushMessage => ({
  token,
  title: 'Ana',
  body: 'See you at eight',
  data: { kind: 'message', conversationId: 'c-1' },
  urgent: false,
  collapseKey: 'c-1',
  ...overrides,
});

const provider = (options: Partial<ApnsProviderOptions> = {}) => {
  const apnsProvider = new ApnsProvider({
    key: apns.key,
    keyId: apns.keyId,
    teamId: apns.teamId,
    topic: apns.topic,
    url: apns.url,
    ca: apns.ca,
    logger,
    ...options,
  });
  opened.push(apnsProvider);
  return apnsProvider;
};

/** What the fake received for one device token, in order. */
const requestsTo = (token: string) => apns.requests.filter((request) => request.deviceToken === token);

describe('APNs provider: sending', () => {
  it('posts to /3/device/<token> with the documented headers and payload', async () => {
    const token = deviceToken();
    const before = Math.floor(Date.now() / 1000);
    expect(await provider().send(message(token))).toBe('sent');

    const [request] = requestsTo(token);
    expect(request).toMatchObject({ method: 'POST', path: `/3/device/${token}`, status: 200 });
    expect(request?.headers).toMatchObject({
      authorization: expect.stringMatching(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/),
      'apns-topic': apns.topic,
      'apns-push-type': 'alert',
      'apns-priority': '5',
      'apns-collapse-id': 'c-1',
      'apns-expiration': expect.stringMatching(/^\d+$/),
    });
    const expiration = Number(request?.headers['apns-expiration']);
    expect(expiration - before).toBeGreaterThanOrEqual(86_400);
    expect(expiration - before).toBeLessThan(86_400 + 60);
    expect(request?.payload).toEqual({
      kind: 'message',
      conversationId: 'c-1',
      aps: { alert: { title: 'Ana', body: 'See you at eight' }, sound: 'default', 'thread-id': 'c-1' },
    });
  });

  it('marks a ringing call priority 10 and leaves out what is absent', async () => {
    const token = deviceToken();
    const urgent = message(token, { urgent: true, data: { kind: 'call', aps: 'not this' } });
    delete urgent.body;
    delete urgent.collapseKey;
    expect(await provider().send(urgent)).toBe('sent');
    const [request] = requestsTo(token);
    expect(request?.headers['apns-priority']).toBe('10');
    expect(request?.headers).not.toHaveProperty('apns-collapse-id');
    // A data key cannot replace `aps`.
    expect(request?.payload).toEqual({ kind: 'call', aps: { alert: { title: 'Ana' }, sound: 'default' } });
  });

  it('reuses one HTTP/2 session and one verified provider token across sends', async () => {
    const apnsProvider = provider();
    const tokens = [deviceToken(), deviceToken(), deviceToken()];
    const sessionsBefore = apns.sessions();
    expect(await Promise.all(tokens.slice(0, 2).map((token) => apnsProvider.send(message(token))))).toEqual([
      'sent',
      'sent',
    ]);
    expect(await apnsProvider.send(message(tokens[2] as string))).toBe('sent');

    const requests = tokens.flatMap(requestsTo);
    expect(requests.map((request) => request.status)).toEqual([200, 200, 200]);
    expect(new Set(requests.map((request) => request.jwt)).size).toBe(1);
    expect(new Set(requests.map((request) => request.session)).size).toBe(1);
    expect(apns.sessions() - sessionsBefore).toBe(1);

    const jwt = requests[0]?.jwt as string;
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'ES256', kid: apns.keyId });
    const claims = decodeJwt(jwt);
    expect(Object.keys(claims).sort()).toEqual(['iat', 'iss']);
    expect(claims.iss).toBe(apns.teamId);
    expect(Math.abs((claims.iat as number) - Date.now() / 1000)).toBeLessThan(60);
  });

  it('opens a new session when APNs closes the old one', async () => {
    const apnsProvider = provider();
    const first = deviceToken();
    expect(await apnsProvider.send(message(first))).toBe('sent');
    await apns.dropConnections();
    const second = deviceToken();
    expect(await apnsProvider.send(message(second))).toBe('sent');
    expect(requestsTo(second).at(-1)?.session).toBeGreaterThan(requestsTo(first)[0]?.session as number);
  });
});

describe('APNs provider: the provider token', () => {
  it('is replaced after 50 minutes, not before', async () => {
    let now = Date.now() - 52 * MINUTE;
    const apnsProvider = provider({ now: () => now });
    const tokens = [deviceToken(), deviceToken(), deviceToken()];
    expect(await apnsProvider.send(message(tokens[0] as string))).toBe('sent');
    now += 49 * MINUTE;
    expect(await apnsProvider.send(message(tokens[1] as string))).toBe('sent');
    now += 2 * MINUTE;
    expect(await apnsProvider.send(message(tokens[2] as string))).toBe('sent');
    const [a, b, c] = tokens.map((token) => requestsTo(token)[0]?.jwt);
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('ExpiredProviderToken → a new token and one retry', async () => {
    const token = deviceToken();
    apns.script(token, 'expired-provider-token', 'ok');
    expect(await provider().send(message(token))).toBe('sent');
    const requests = requestsTo(token);
    expect(requests.map((request) => [request.status, request.reason])).toEqual([
      [403, 'ExpiredProviderToken'],
      [200, undefined],
    ]);
    expect(requests[1]?.jwt).not.toBe(requests[0]?.jwt);
  });

  it('older than an hour is refused by the fake; one refresh, then failed when it cannot help', async () => {
    const token = deviceToken();
    const { logger: capturing, lines } = capturingLogger();
    const stale = Date.now() - 61 * MINUTE;
    expect(await provider({ now: () => stale, logger: capturing }).send(message(token))).toBe('failed');
    expect(requestsTo(token).map((request) => request.reason)).toEqual([
      'ExpiredProviderToken',
      'ExpiredProviderToken',
    ]);
    expect(lines.at(-1)).toMatchObject({
      level: 'warn',
      provider: 'apns',
      reason: '403 ExpiredProviderToken',
    });
  });

  it('signed with another key is refused by the fake (InvalidProviderToken) → failed', async () => {
    const token = deviceToken();
    const otherKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    expect(await provider({ key: otherKey }).send(message(token))).toBe('failed');
    expect(requestsTo(token).map((request) => request.reason)).toEqual([
      'InvalidProviderToken',
      'InvalidProviderToken',
    ]);
  });
});

describe('APNs provider: answers', () => {
  it('410 Unregistered → invalid-token, without a retry', async () => {
    const token = deviceToken();
    apns.script(token, 'unregistered');
    expect(await provider().send(message(token))).toBe('invalid-token');
    expect(requestsTo(token).map((request) => request.status)).toEqual([410]);
  });

  it('400 BadDeviceToken → invalid-token, scripted or for a token that is not one', async () => {
    const token = deviceToken();
    apns.script(token, 'bad-token');
    expect(await provider().send(message(token))).toBe('invalid-token');
    expect(requestsTo(token).map((request) => request.reason)).toEqual(['BadDeviceToken']);
    expect(await provider().send(message('not-a-device-token'))).toBe('invalid-token');
    expect(requestsTo('not-a-device-token').map((request) => request.reason)).toEqual(['BadDeviceToken']);
  });

  it('503, then 200 → sent', async () => {
    const token = deviceToken();
    apns.script(token, { status: 503 }, 'ok');
    expect(await provider().send(message(token))).toBe('sent');
    expect(requestsTo(token).map((request) => request.status)).toEqual([503, 200]);
  });

  it('429 every time → failed after three attempts', async () => {
    const token = deviceToken();
    apns.script(token, { status: 429 });
    expect(await provider().send(message(token))).toBe('failed');
    expect(requestsTo(token).map((request) => request.reason)).toEqual([
      'TooManyRequests',
      'TooManyRequests',
      'TooManyRequests',
    ]);
  });

  it('a wrong topic → failed, the device kept', async () => {
    const token = deviceToken();
    expect(await provider({ topic: 'com.example.other' }).send(message(token))).toBe('failed');
    expect(requestsTo(token).map((request) => request.reason)).toEqual(['TopicDisallowed']);
  });

  it('an unreachable APNs → failed after the retries, within the budget', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => closed.once('listening', resolve));
    const { port } = closed.address() as { port: number };
    await new Promise((resolve) => closed.close(resolve));
    const { logger: capturing, lines } = capturingLogger();
    const started = performance.now();
    const result = await provider({ url: `https://127.0.0.1:${port}`, logger: capturing }).send(
      message(deviceToken()),
    );
    expect(result).toBe('failed');
    expect(performance.now() - started).toBeLessThan(3000);
    expect(lines.at(-1)).toMatchObject({ level: 'warn', attempts: 3, reason: 'ECONNREFUSED' });
  });

  it('a certificate it was not told to trust → failed: verification stays on', async () => {
    const token = deviceToken();
    const { logger: capturing, lines } = capturingLogger();
    const { key, keyId, teamId, topic, url } = apns;
    const untrusting = new ApnsProvider({ key, keyId, teamId, topic, url, logger: capturing });
    opened.push(untrusting);
    expect(await untrusting.send(message(token))).toBe('failed');
    expect(requestsTo(token)).toEqual([]);
    expect(lines.at(-1)).toMatchObject({ level: 'warn', reason: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  });
});

describe('APNs provider: the key', () => {
  it('must be a P-256 private key: otherwise a one-line ConfigError naming APNS_KEY', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    }) as string;
    expect(() => provider({ key: rsa })).toThrow(ConfigError);
    expect(() => provider({ key: rsa })).toThrow(/^APNS_KEY: must be an EC P-256 key/);
    expect(() => provider({ key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' })).toThrow(
      /^APNS_KEY: is not a readable PEM private key/,
    );
  });
});
