import type { PushPlatform } from '../db/schema';
import type { Logger } from '../observability/logger';
import type { PushMessage, PushProvider, PushResult } from './push-provider';

/** The unset variable that leaves each platform in embedded mode, for the log line. */
const CREDENTIAL: Record<PushPlatform, string> = { fcm: 'FCM_SERVICE_ACCOUNT', apns: 'APNS_KEY' };

/**
 * Embedded mode's push (SPEC §4): nothing is sent, the notification is logged at info instead. The
 * device token is a credential (it lets anyone with the app's keys reach the device), so only its
 * last six characters are shown; the body is private, so only whether there was one.
 */
export class LogPushProvider implements PushProvider {
  readonly name = 'log';
  readonly #platform: PushPlatform;
  readonly #logger: Logger;

  constructor({ platform, logger }: { platform: PushPlatform; logger: Logger }) {
    this.#platform = platform;
    this.#logger = logger;
  }

  async send({ token, title, body, data, urgent, collapseKey }: PushMessage): Promise<PushResult> {
    this.#logger.info(
      {
        push: {
          platform: this.#platform,
          device: `…${token.slice(-6)}`,
          title,
          hasBody: body !== undefined,
          data,
          urgent,
          collapseKey,
        },
      },
      `push (embedded): ${this.#platform} notification logged, not sent (${CREDENTIAL[this.#platform]} is unset)`,
    );
    return 'sent';
  }

  async close(): Promise<void> {}
}
