import { type Config, ConfigError } from '../config/env';
import type { PushPlatform } from '../db/schema';
import type { Logger } from '../observability/logger';
import type { PushProvider } from './push-provider';

/** What {@link openPushProviders} reads. */
export interface OpenPushProvidersOptions {
  config: Pick<
    Config,
    | 'FCM_SERVICE_ACCOUNT'
    | 'FCM_API_URL'
    | 'APNS_KEY'
    | 'APNS_KEY_ID'
    | 'APNS_TEAM_ID'
    | 'APNS_TOPIC'
    | 'APNS_URL'
  >;
  logger: Logger;
}

/**
 * One provider per platform: FCM when FCM_SERVICE_ACCOUNT is set, APNs when APNS_KEY is, else the
 * log (embedded mode, SPEC §4). Each adapter is imported on demand, so a process that sends no
 * push loads neither. A credential that cannot be used is a ConfigError here, at start-up.
 */
export async function openPushProviders({
  config,
  logger,
}: OpenPushProvidersOptions): Promise<Record<PushPlatform, PushProvider>> {
  const [fcm, apns] = await Promise.all([openFcm(config, logger), openApns(config, logger)]);
  return { fcm, apns };
}

async function openFcm(config: OpenPushProvidersOptions['config'], logger: Logger): Promise<PushProvider> {
  if (config.FCM_SERVICE_ACCOUNT === undefined) return openLog('fcm', logger);
  const { FcmProvider } = await import('./fcm-provider');
  return new FcmProvider({ serviceAccount: config.FCM_SERVICE_ACCOUNT, apiUrl: config.FCM_API_URL, logger });
}

async function openApns(config: OpenPushProvidersOptions['config'], logger: Logger): Promise<PushProvider> {
  const { APNS_KEY: key, APNS_KEY_ID: keyId, APNS_TEAM_ID: teamId, APNS_TOPIC: topic } = config;
  if (key === undefined) return openLog('apns', logger);
  // loadConfig already requires these with APNS_KEY; a hand-built config may not.
  if (keyId === undefined || teamId === undefined || topic === undefined) {
    throw new ConfigError('APNS_KEY_ID: APNS_KEY_ID, APNS_TEAM_ID and APNS_TOPIC are required with APNS_KEY');
  }
  const { ApnsProvider } = await import('./apns-provider');
  return new ApnsProvider({ key, keyId, teamId, topic, url: config.APNS_URL, logger });
}

async function openLog(platform: PushPlatform, logger: Logger): Promise<PushProvider> {
  const { LogPushProvider } = await import('./log-provider');
  return new LogPushProvider({ platform, logger });
}
