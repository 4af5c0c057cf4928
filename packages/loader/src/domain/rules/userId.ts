/**
 * 利用者ID (user ID): 13 bytes from the system CSPRNG. Never derived from the
 * My Number or the 住民票コード (技術的基準 第9 3 (2)): it is pure randomness,
 * and uniqueness is the database's unique index, with a retry on collision.
 */
import { randomBytes } from 'node:crypto';
import { USER_ID_LENGTH } from '@myna-ap/apdu';
import type { UserId } from '../ids.ts';

export type RandomSource = (n: number) => Uint8Array;
export const cryptoRandom: RandomSource = (n) => Uint8Array.from(randomBytes(n));

export function newUserId(random: RandomSource = cryptoRandom): UserId {
  const b = random(USER_ID_LENGTH);
  if (b.length !== USER_ID_LENGTH) throw new RangeError('the random source gave the wrong length');
  return Uint8Array.from(b) as UserId;
}

/** Collisions among 2^104 values are astronomically rare; more than a few means a broken RNG. */
export const USER_ID_ATTEMPTS = 5;
