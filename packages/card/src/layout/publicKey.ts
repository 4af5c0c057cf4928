/**
 * An RSA public key as the 券面 APs carry it: exponent TLV then modulus TLV
 * (tags 82 and 81, as in ISO 7816-8 public key data objects), the order the
 * public readers parse (e first, then n).
 */
import { concat, encodeTlv as tlv } from '@myna-ap/apdu';
import type { KeyObject } from 'node:crypto';

export function rsaPublicKeyTlvs(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') throw new TypeError('not an RSA key');
  const n = new Uint8Array(Buffer.from(jwk.n, 'base64url'));
  const e = new Uint8Array(Buffer.from(jwk.e, 'base64url'));
  return concat(tlv(0x82, e), tlv(0x81, n));
}
