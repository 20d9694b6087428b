import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/env';
import { createLogger } from '../observability/logger';
import { type FakeApns, startFakeApns } from '../testing/fake-apns';
import { type FakeFcm, startFakeFcm } from '../testing/fake-fcm';
import { openPushProviders } from './open-push-providers';

const logger = createLogger({ level: 'silent', service: 'test' });

let fcm: FakeFcm;
let apns: FakeApns;
beforeAll(async () => {
  [fcm, apns] = await Promise.all([startFakeFcm(), startFakeApns()]);
});
afterAll(async () => {
  await Promise.all([fcm?.close(), apns?.close()]);
});

const open = (env: Record<string, string>) => openPushProviders({ config: loadConfig(env), logger });

describe('openPushProviders', () => {
  it('logs both platforms when nothing is configured (embedded mode)', async () => {
    const providers = await open({});
    expect([providers.fcm.name, providers.apns.name]).toEqual(['log', 'log']);
  });

  it('opens FCM from FCM_SERVICE_ACCOUNT_FILE (a mounted secret) and sends with it', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'fcm-secret-'));
    const { FCM_SERVICE_ACCOUNT = '', FCM_API_URL = '' } = fcm.env();
    await writeFile(join(directory, 'service-account.json'), FCM_SERVICE_ACCOUNT);
    const providers = await open({
      FCM_SERVICE_ACCOUNT_FILE: join(directory, 'service-account.json'),
      FCM_API_URL,
    }).finally(() => rm(directory, { recursive: true, force: true }));
    expect([providers.fcm.name, providers.apns.name]).toEqual(['fcm', 'log']);
    const token = `d${randomBytes(8).toString('hex')}:APA91b${randomBytes(32).toString('base64url')}`;
    expect(await providers.fcm.send({ token, title: 'Ana', data: {}, urgent: false })).toBe('sent');
    expect(fcm.sends.at(-1)).toMatchObject({ status: 200, message: { token } });
  });

  it('opens APNs from APNS_KEY and its companions', async () => {
    const providers = await open(apns.env());
    expect([providers.fcm.name, providers.apns.name]).toEqual(['log', 'apns']);
    await providers.apns.close();
  });

  it('stops start-up with a ConfigError naming FCM_SERVICE_ACCOUNT when the key file is unusable', async () => {
    const opening = open({ ...fcm.env(), FCM_SERVICE_ACCOUNT: '{"type":"service_account"}' });
    await expect(opening).rejects.toBeInstanceOf(ConfigError);
    await expect(opening).rejects.toThrow(/^FCM_SERVICE_ACCOUNT: must be a Google service-account key file/);
  });
});
