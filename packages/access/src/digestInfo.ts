/**
 * DER DigestInfo (PKCS#1 v1.5, RFC 8017 §9.2): the card pads and signs what the
 * host sends, so the host hashes and wraps the hash with its algorithm OID.
 */
import { createHash } from 'node:crypto';

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** The fixed DER prefix per hash (RFC 8017 §9.2 note 1). */
const PREFIX: Record<HashName, string> = {
  sha1: '3021300906052b0e03021a05000414',
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

const SIZE: Record<HashName, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

export function isHashName(s: string): s is HashName {
  return Object.hasOwn(PREFIX, s);
}

/** DigestInfo for a hash value already computed. */
export function digestInfo(hash: HashName, digest: Uint8Array): Uint8Array {
  if (digest.length !== SIZE[hash]) {
    throw new RangeError(`${hash} digest must be ${SIZE[hash]} bytes, got ${digest.length}`);
  }
  const prefix = Buffer.from(PREFIX[hash], 'hex');
  const out = new Uint8Array(prefix.length + digest.length);
  out.set(prefix);
  out.set(digest, prefix.length);
  return out;
}

/** Hashes `data` and wraps the result. */
export function digestInfoOf(hash: HashName, data: Uint8Array): Uint8Array {
  return digestInfo(hash, new Uint8Array(createHash(hash).update(data).digest()));
}
