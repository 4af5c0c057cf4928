/** Default policies of a loader. */
import { DEFAULT_COST } from '../domain/password.ts';
import { DEFAULT_LOCKOUT, SESSION_TTL_MS } from '../domain/login.ts';
import { DEFAULT_SERVICE_HOURS } from '../domain/rules/serviceHours.ts';
import type { LoaderConfig } from './context.ts';

export const DEFAULT_CONFIG: LoaderConfig = {
  scrypt: DEFAULT_COST,
  lockout: DEFAULT_LOCKOUT,
  sessionTtlMs: SESSION_TTL_MS,
  serviceHours: DEFAULT_SERVICE_HOURS,
};

/** Cheap hashing for tests (the stored hash still says which cost it used). */
export const TEST_CONFIG: LoaderConfig = { ...DEFAULT_CONFIG, scrypt: { N: 1024, r: 8, p: 1 } };
