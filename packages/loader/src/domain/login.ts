/**
 * Login rules, pure: lockout after repeated failures, session tokens (random,
 * stored only as SHA-256) and their expiry.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface LockoutPolicy {
  /** Failures in a row that lock the account. */
  readonly maxFailures: number;
  /** How long the lock lasts. */
  readonly lockMs: number;
}
export const DEFAULT_LOCKOUT: LockoutPolicy = { maxFailures: 5, lockMs: 15 * 60_000 };

export interface LoginState {
  readonly failedLogins: number;
  readonly lockedUntil: Date | null;
}

export function isLocked(s: LoginState, now: Date): boolean {
  return s.lockedUntil !== null && s.lockedUntil.getTime() > now.getTime();
}

/** The state after a wrong password. The count restarts once a lock has run out. */
export function afterFailure(s: LoginState, now: Date, policy = DEFAULT_LOCKOUT): LoginState {
  const expired = s.lockedUntil !== null && s.lockedUntil.getTime() <= now.getTime();
  const failed = (expired ? 0 : s.failedLogins) + 1;
  return failed >= policy.maxFailures
    ? { failedLogins: failed, lockedUntil: new Date(now.getTime() + policy.lockMs) }
    : { failedLogins: failed, lockedUntil: expired ? null : s.lockedUntil };
}

export function afterSuccess(): LoginState {
  return { failedLogins: 0, lockedUntil: null };
}

/** Sessions last a working day at most. */
export const SESSION_TTL_MS = 8 * 3600_000;
export const TOKEN_PREFIX = 'myna_';

export function newSessionToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** What the DB keeps of a token. */
export function tokenHash(token: string): Uint8Array {
  return Uint8Array.from(createHash('sha256').update(token, 'utf8').digest());
}

export function looksLikeToken(s: string): boolean {
  return s.startsWith(TOKEN_PREFIX) && /^[A-Za-z0-9_-]{43}$/.test(s.slice(TOKEN_PREFIX.length));
}

export interface SessionTimes {
  readonly expiresAt: Date;
  readonly revokedAt: Date | null;
}

export function sessionValid(s: SessionTimes, now: Date): boolean {
  return s.revokedAt === null && s.expiresAt.getTime() > now.getTime();
}
