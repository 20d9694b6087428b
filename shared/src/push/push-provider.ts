import type { PushPlatform } from '../db/schema';

/** One notification to one device, as the dispatcher decided it. */
export interface PushMessage {
  /** The device's registration token (FCM) or device token (APNs). */
  token: string;
  title: string;
  /** What the notification says; left out when previews are off, and always in E2EE conversations. */
  body?: string;
  /** Small key-values the app reads when the notification is opened (kind, conversationId, …). */
  data: Record<string, string>;
  /** A ringing call: delivered at once, waking the device (FCM priority high, APNs priority 10). */
  urgent: boolean;
  /** Notifications with the same key replace each other on the device (one conversation's messages). */
  collapseKey?: string;
}

/**
 * How one delivery ended: `sent`; `invalid-token` (FCM UNREGISTERED, APNs 410 or BadDeviceToken:
 * the device is gone and its row is deleted); `failed` (retries exhausted or refused otherwise).
 */
export type PushResult = 'sent' | 'invalid-token' | 'failed';

/**
 * A push service (SPEC §9): FCM HTTP v1, APNs over HTTP/2, or the log in embedded mode. Each
 * provider retries 5xx and 429 answers with backoff itself (honouring Retry-After) and never
 * throws for a delivery that failed: it answers `failed`.
 */
export interface PushProvider {
  /** `log` in embedded mode, where notifications are written to the log instead of sent. */
  readonly name: PushPlatform | 'log';
  send(message: PushMessage): Promise<PushResult>;
  close(): Promise<void>;
}
