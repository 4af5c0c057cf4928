/**
 * What the card signs for an electronic user proof (電子利用者証明), as Web eID
 * does: SHA-256(origin) ‖ SHA-256(challenge), signed with the 利用者証明用 key
 * (RSASSA-PKCS1-v1_5 with SHA-256: the card pads DigestInfo(SHA-256(that))).
 * The origin is the one the holder's browser is at, told to the bridge by the
 * browser itself, so a signature made at one site is useless at another.
 */
import { createHash, randomBytes } from 'node:crypto';

/** How long a challenge may be answered. */
export const CHALLENGE_TTL_MS = 5 * 60_000;

/** 32 random bytes, base64url (43 characters). */
export function newChallenge(): string {
  return randomBytes(32).toString('base64url');
}

export function isChallenge(s: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(s);
}

export function proofSignedData(origin: string, challenge: string): Uint8Array {
  const h = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return new Uint8Array(Buffer.concat([h(origin), h(challenge)]));
}
