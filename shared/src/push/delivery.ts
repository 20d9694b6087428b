import { setTimeout as sleep } from 'node:timers/promises';
import type { PushMessage, PushResult } from './push-provider';

/** How a network provider retries one delivery. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Deadline of one attempt: the request and reading its answer. */
  attemptTimeoutMs: number;
  /** Backoff before the second attempt, doubled for each one after (with jitter). */
  baseDelayMs: number;
  /** A send never lasts longer: no wait or attempt runs past this many ms after it began. */
  budgetMs: number;
}

/**
 * Three attempts of at most 3 s, backoff from 250 ms (or Retry-After, when longer), 6 s in all:
 * a push is worth a short retry, but whoever sends it (a message send, a ringing call) must not
 * wait on a struggling push service.
 */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 3,
  attemptTimeoutMs: 3000,
  baseDelayMs: 250,
  budgetMs: 6000,
};

/** Shorter than this, an attempt is not worth starting: the request alone takes about as long. */
const MIN_ATTEMPT_MS = 250;

/** What one attempt came to; `retry` for transient failures (429, 5xx, network, timeout). */
export type AttemptOutcome =
  | { result: 'sent' | 'invalid-token' }
  | { result: 'failed'; reason: string }
  | { result: 'retry'; reason: string; retryAfterMs?: number };

/** How a delivery ended, with what the log needs when it failed. */
export interface Delivery {
  result: PushResult;
  attempts: number;
  reason?: string;
}

/**
 * Runs `attempt` until it settles, retrying transient failures with jittered exponential backoff
 * or the server's Retry-After, whichever is longer. A wait that would leave no room for another
 * attempt within the budget ends the delivery as `failed` at once rather than sleeping first. A
 * thrown error counts as transient: network failures and the attempt's own timeout surface so.
 */
export async function deliver(
  policy: RetryPolicy,
  attempt: (signal: AbortSignal) => Promise<AttemptOutcome>,
): Promise<Delivery> {
  const deadline = Date.now() + policy.budgetMs;
  for (let attempts = 1; ; attempts++) {
    const timeoutMs = Math.min(policy.attemptTimeoutMs, deadline - Date.now());
    let outcome: AttemptOutcome;
    try {
      outcome = await attempt(AbortSignal.timeout(timeoutMs));
    } catch (error) {
      outcome = { result: 'retry', reason: describeError(error) };
    }
    if (outcome.result !== 'retry') return { ...outcome, attempts };
    const backoff = policy.baseDelayMs * 2 ** (attempts - 1) * (0.5 + Math.random() / 2);
    const delayMs = Math.max(backoff, outcome.retryAfterMs ?? 0);
    if (attempts >= policy.maxAttempts || Date.now() + delayMs + MIN_ATTEMPT_MS > deadline) {
      return { result: 'failed', attempts, reason: outcome.reason };
    }
    await sleep(delayMs);
  }
}

/** A short, secret-free description of a failed request: error codes, never messages or URLs. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return 'error';
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timeout';
  // fetch wraps the socket's error (ECONNREFUSED, ECONNRESET, …) as its cause.
  const code = (error.cause as { code?: unknown } | undefined)?.code ?? (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : error.name;
}

/** Retry-After in ms (delta-seconds or an HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * How long the push service keeps trying to reach an offline device. A ringing call is pointless
 * after a minute (the ring times out); a message notification after a day (the app syncs on open).
 */
export function timeToLiveSeconds(message: PushMessage): number {
  return message.urgent ? 60 : 24 * 3600;
}
