import { type Config, ConfigError } from '../config/env';
import type { Logger } from '../observability/logger';
import type { Sfu } from './sfu';

/** What {@link openSfu} reads. */
export interface OpenSfuOptions {
  config: Pick<Config, 'LIVEKIT_URL' | 'LIVEKIT_API_URL' | 'LIVEKIT_API_KEY' | 'LIVEKIT_API_SECRET'>;
  logger: Logger;
}

/** LiveKit serves its API on the port clients connect to: `ws://` → `http://`, `wss://` → `https://`. */
export function livekitApiUrl(url: string): string {
  return url.replace(/^ws(s?):/i, 'http$1:');
}

/**
 * The media server of group calls: LiveKit when LIVEKIT_URL is set, else null (one-to-one calls
 * then go peer to peer). The adapter, and with it the SDK, is imported on demand, so functions
 * that never touch calls never load it.
 */
export async function openSfu({ config, logger }: OpenSfuOptions): Promise<Sfu | null> {
  const { LIVEKIT_URL: url, LIVEKIT_API_KEY: apiKey, LIVEKIT_API_SECRET: apiSecret } = config;
  if (url === undefined) return null;
  if (apiKey === undefined || apiSecret === undefined)
    throw new ConfigError(
      'LIVEKIT_API_KEY: LIVEKIT_API_KEY and LIVEKIT_API_SECRET are required with LIVEKIT_URL',
    );
  const { LivekitSfu } = await import('./livekit-sfu');
  return new LivekitSfu({
    url,
    apiUrl: config.LIVEKIT_API_URL ?? livekitApiUrl(url),
    apiKey,
    apiSecret,
    logger,
  });
}
