/**
 * How long the agent waits before it connects again: exponential back-off with
 * full jitter (each wait uniform in [0, min(max, initial·2^attempt)]), so a
 * counter full of terminals that lost the server together do not come back in
 * step. Pure: the random source is passed in.
 */
export interface Backoff {
  /** First ceiling (default 250 ms). */
  readonly initialMs: number;
  /** Largest ceiling (default 10 s). */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { initialMs: 250, maxMs: 10_000 };

/** The wait before connection attempt `attempt` (0 = the first retry). */
export function backoffDelay(
  attempt: number,
  b: Backoff = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
