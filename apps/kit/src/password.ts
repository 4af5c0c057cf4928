/**
 * Staff passwords as scrypt (node:crypto), in the loader's stored form
 * `scrypt$N$r$p$salt$key` (base64url), so the cost can rise and old hashes verify.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface ScryptCost {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** 2^15 × 8 × 1: 32 MiB and tens of milliseconds a hash. */
export const DEFAULT_SCRYPT: ScryptCost = { N: 2 ** 15, r: 8, p: 1 };
/** For tests only: fast, and worthless against a guess. */
export const TEST_SCRYPT: ScryptCost = { N: 1024, r: 8, p: 1 };

export const MIN_PASSWORD = 12;

const derive = (password: string, salt: Buffer, c: ScryptCost) =>
  new Promise<Buffer>((resolve, reject) =>
    scrypt(
      password.normalize('NFC'),
      salt,
      32,
      { ...c, maxmem: 256 * c.N * c.r + (1 << 20) },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );

export async function hashPassword(
  password: string,
  c: ScryptCost = DEFAULT_SCRYPT,
): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, c);
  return ['scrypt', c.N, c.r, c.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Constant time; a stored form that is not ours (or absurd costs) never matches. */
export async function passwordMatches(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.split('$');
  const c = { N: Number(n), r: Number(r), p: Number(p) };
  const sane =
    kind === 'scrypt' &&
    Object.values(c).every((x) => Number.isInteger(x) && x > 0) &&
    c.N <= 2 ** 20 &&
    c.r <= 32 &&
    c.p <= 16;
  const want = Buffer.from(key ?? '', 'base64url');
  if (!sane || want.length !== 32) return false;
  return timingSafeEqual(await derive(password, Buffer.from(salt ?? '', 'base64url'), c), want);
}
