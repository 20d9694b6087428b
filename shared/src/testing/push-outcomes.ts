/** What the fake push services (fake-fcm.ts, fake-apns.ts) share: scripted outcomes and request reading. */
import type { Readable } from 'node:stream';
import { createLogger, type Logger } from '../observability/logger';

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
export class Script {
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

export const retryAfterHeader = ({
  retryAfterSeconds,
}: {
  retryAfterSeconds?: number;
}): Record<string, string> =>
  retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) };

export const readBody = async (stream: Readable): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};
