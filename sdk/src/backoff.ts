/** Reconnect delays: exponential from `initialDelayMs`, capped at `maxDelayMs`. */
export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 250, maxDelayMs: 15_000 };

/**
 * The delay before retry number `attempt` (0 for the first): exponential, capped, with "equal
 * jitter" — half the step fixed, half random — so thousands of clients dropped by one gateway
 * restart do not come back in lockstep, yet none retries sooner than half the step.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const step = Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** Math.max(0, attempt));
  return step / 2 + random() * (step / 2);
}
