/**
 * Login attempts counted per account and per address over a sliding window (in
 * this server's memory: behind a load balancer each server counts its own, and
 * the account lockout in the database still holds across all of them). A pure
 * class: time is passed in.
 */
export interface LimitRule {
  readonly max: number;
  readonly windowMs: number;
}

/** A counter PC tries a handful of times; a guesser tries many (per address: a shared NAT). */
export const LOGIN_LIMITS = {
  account: { max: 10, windowMs: 5 * 60_000 },
  address: { max: 30, windowMs: 5 * 60_000 },
} as const satisfies Record<string, LimitRule>;

export class LoginLimiter {
  readonly #hits = new Map<string, number[]>();
  readonly #rules: { readonly account: LimitRule; readonly address: LimitRule };
  constructor(rules: { readonly account: LimitRule; readonly address: LimitRule } = LOGIN_LIMITS) {
    this.#rules = rules;
  }

  #recent(key: string, rule: LimitRule, now: number): number[] {
    const kept = (this.#hits.get(key) ?? []).filter((t) => now - t < rule.windowMs);
    if (kept.length === 0) this.#hits.delete(key);
    else this.#hits.set(key, kept);
    return kept;
  }

  /**
   * Counts an attempt; false (and nothing counted) when the account or the address
   * has had its share of the window. `retryAfterMs`: when the oldest one ages out.
   */
  attempt(login: string, address: string, now: number): { ok: boolean; retryAfterMs: number } {
    const keys = [
      [`a:${login.toLowerCase()}`, this.#rules.account],
      [`ip:${address}`, this.#rules.address],
    ] as const;
    for (const [key, rule] of keys) {
      const hits = this.#recent(key, rule, now);
      if (hits.length >= rule.max) {
        return { ok: false, retryAfterMs: rule.windowMs - (now - (hits[0] ?? now)) };
      }
    }
    for (const [key] of keys) this.#hits.set(key, [...(this.#hits.get(key) ?? []), now]);
    return { ok: true, retryAfterMs: 0 };
  }
}
