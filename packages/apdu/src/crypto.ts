/**
 * Secure-messaging primitives for ISO/IEC 7816-4 clause 10 and GlobalPlatform SCP03,
 * pure functions over node:crypto (no state, no I/O):
 *
 * - ISO/IEC 9797-1 padding method 2 (`80 00 …`): `pad80` / `unpad80`.
 * - AES-CMAC (NIST SP 800-38B, RFC 4493): `aesCmac`.
 * - AES-CBC without padding (SM encryption pads with `pad80` first): `aesCbcEncrypt` /
 *   `aesCbcDecrypt`, plus the single-block `aesEncryptBlock` used for SCP03 ICVs.
 * - Retail MAC (ISO/IEC 9797-1 MAC algorithm 3 with DES, as ICAO BAC and older
 *   JICSAP-era cards use): `retailMac`.
 * - `constantTimeEqual` for MAC and cryptogram checks.
 *
 * Every bad argument (key size, IV size, unaligned data, bad padding) is an
 * `ApduError` with an SM_* code, so callers on the card side can map it to a status
 * word instead of crashing.
 */
import { createCipheriv, createDecipheriv, timingSafeEqual } from 'node:crypto';
import { ApduError } from './bytes.ts';

/** AES block size in bytes. */
export const AES_BLOCK = 16;
/** DES block size in bytes. */
export const DES_BLOCK = 8;

function checkAesKey(key: Uint8Array): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new ApduError('SM_BAD_KEY', `an AES key has 16, 24 or 32 bytes, got ${key.length}`);
  }
}

function checkBlockSize(blockSize: number): void {
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 255) {
    throw new ApduError('SM_BAD_FORMAT', `block size must be 1..255, got ${blockSize}`);
  }
}

function checkAligned(data: Uint8Array, block: number, what: string): void {
  if (data.length % block !== 0) {
    throw new ApduError(
      'SM_BAD_FORMAT',
      `${what}: ${data.length} bytes is not a multiple of the ${block}-byte block`,
    );
  }
}

/**
 * ISO/IEC 9797-1 padding method 2: appends `80` then `00`s up to a multiple of
 * `blockSize`. Always adds at least one byte, so the padding is unambiguous.
 */
export function pad80(data: Uint8Array, blockSize: number = AES_BLOCK): Uint8Array {
  checkBlockSize(blockSize);
  const out = new Uint8Array((Math.floor(data.length / blockSize) + 1) * blockSize);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/**
 * Removes ISO/IEC 9797-1 method 2 padding. The input must be a non-empty multiple of
 * `blockSize` whose last block holds the `80` marker followed only by `00`s;
 * anything else is `ApduError('SM_BAD_PADDING')`.
 */
export function unpad80(data: Uint8Array, blockSize: number = AES_BLOCK): Uint8Array {
  checkBlockSize(blockSize);
  if (data.length === 0 || data.length % blockSize !== 0) {
    throw new ApduError(
      'SM_BAD_PADDING',
      `padded data of ${data.length} bytes is not a non-empty multiple of ${blockSize}`,
    );
  }
  let i = data.length - 1;
  // The marker must sit in the last block: never scan further back than one block.
  const stop = data.length - blockSize;
  while (i > stop && data[i] === 0) i--;
  if (data[i] !== 0x80) {
    throw new ApduError('SM_BAD_PADDING', 'padding 80 00… not found in the last block');
  }
  return data.slice(0, i);
}

/** Raw AES in ECB mode over whole blocks (the building block of CMAC and SCP03 ICVs). */
function aesEcb(key: Uint8Array, blocks: Uint8Array): Uint8Array {
  const c = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(blocks), c.final()]));
}

/** Encrypts one 16-byte block with AES (e.g. the SCP03 ICV from the counter). */
export function aesEncryptBlock(key: Uint8Array, block: Uint8Array): Uint8Array {
  checkAesKey(key);
  if (block.length !== AES_BLOCK) {
    throw new ApduError('SM_BAD_FORMAT', `an AES block has 16 bytes, got ${block.length}`);
  }
  return aesEcb(key, block);
}

function aesCbc(key: Uint8Array, iv: Uint8Array, data: Uint8Array, encrypt: boolean): Uint8Array {
  checkAesKey(key);
  if (iv.length !== AES_BLOCK) {
    throw new ApduError('SM_BAD_FORMAT', `an AES-CBC IV has 16 bytes, got ${iv.length}`);
  }
  checkAligned(data, AES_BLOCK, encrypt ? 'AES-CBC plaintext' : 'AES-CBC ciphertext');
  const name = `aes-${key.length * 8}-cbc`;
  const c = encrypt ? createCipheriv(name, key, iv) : createDecipheriv(name, key, iv);
  c.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([c.update(data), c.final()]));
}

/** AES-CBC encryption of block-aligned data, no padding added (pad with `pad80` first). */
export function aesCbcEncrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return aesCbc(key, iv, data, true);
}

/** AES-CBC decryption of block-aligned data, padding left in place (strip with `unpad80`). */
export function aesCbcDecrypt(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  return aesCbc(key, iv, data, false);
}

/** Doubling in GF(2^128) as RFC 4493 2.3 defines it (shift left, xor Rb = 0x87 on carry). */
function dbl(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(AES_BLOCK);
  for (let i = 0; i < AES_BLOCK; i++) {
    out[i] = ((b[i]! << 1) | ((b[i + 1] ?? 0) >>> 7)) & 0xff;
  }
  if ((b[0]! & 0x80) !== 0) out[AES_BLOCK - 1]! ^= 0x87;
  return out;
}

/** CMAC subkeys K1 and K2 (RFC 4493 2.3). Exported for the test vectors. */
export function aesCmacSubkeys(key: Uint8Array): { k1: Uint8Array; k2: Uint8Array } {
  checkAesKey(key);
  const k1 = dbl(aesEcb(key, new Uint8Array(AES_BLOCK)));
  return { k1, k2: dbl(k1) };
}

/** AES-CMAC (RFC 4493, NIST SP 800-38B): the full 16-byte tag; truncate as a protocol says. */
export function aesCmac(key: Uint8Array, data: Uint8Array): Uint8Array {
  const { k1, k2 } = aesCmacSubkeys(key);
  const n = Math.max(1, Math.ceil(data.length / AES_BLOCK));
  const complete = data.length > 0 && data.length % AES_BLOCK === 0;
  const last = new Uint8Array(AES_BLOCK);
  last.set(data.subarray((n - 1) * AES_BLOCK));
  if (!complete) last[data.length - (n - 1) * AES_BLOCK] = 0x80;
  const sub = complete ? k1 : k2;
  for (let i = 0; i < AES_BLOCK; i++) last[i]! ^= sub[i]!;
  // CBC-MAC over the first n-1 blocks is the last block of their CBC encryption.
  let x = new Uint8Array(AES_BLOCK);
  if (n > 1) {
    const enc = aesCbc(key, x, data.subarray(0, (n - 1) * AES_BLOCK), true);
    x = enc.slice(enc.length - AES_BLOCK);
  }
  for (let i = 0; i < AES_BLOCK; i++) last[i]! ^= x[i]!;
  return aesEcb(key, last);
}

/**
 * Retail MAC: ISO/IEC 9797-1 MAC algorithm 3 with DES (single-DES CBC under K1, then
 * the last block decrypted under K2 and encrypted under K1), 8-byte result. `key` is
 * K1‖K2 (16 bytes). Data is padded with method 2 unless `padded` says it already is.
 */
export function retailMac(
  key: Uint8Array,
  data: Uint8Array,
  opts: { padded?: boolean } = {},
): Uint8Array {
  if (key.length !== 16) {
    throw new ApduError('SM_BAD_KEY', `a retail MAC key is K1‖K2 of 16 bytes, got ${key.length}`);
  }
  const msg = opts.padded === true ? data : pad80(data, DES_BLOCK);
  if (msg.length === 0) throw new ApduError('SM_BAD_FORMAT', 'retail MAC of no blocks');
  checkAligned(msg, DES_BLOCK, 'retail MAC input');
  const k1 = key.subarray(0, 8);
  const k2 = key.subarray(8, 16);
  // OpenSSL 3 keeps single DES in the legacy provider; two-key EDE with K‖K is single DES.
  const single = (k: Uint8Array) => new Uint8Array(Buffer.concat([k, k]));
  const cbc = createCipheriv('des-ede-cbc', single(k1), new Uint8Array(DES_BLOCK));
  cbc.setAutoPadding(false);
  const enc = Buffer.concat([cbc.update(msg), cbc.final()]);
  const h = enc.subarray(enc.length - DES_BLOCK);
  const d = createDecipheriv('des-ede-ecb', single(k2), null);
  d.setAutoPadding(false);
  const mid = Buffer.concat([d.update(h), d.final()]);
  const e = createCipheriv('des-ede-ecb', single(k1), null);
  e.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([e.update(mid), e.final()]));
}

/**
 * Compares two byte strings in time independent of where they differ (MACs,
 * cryptograms). Different lengths are unequal at once: lengths are public.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Checks a MAC that may be truncated (SCP03 sends 8 of CMAC's 16 bytes, ISO SM
 * commonly 8 or 4): `mac` must equal the first `mac.length` bytes of `full`, in
 * constant time. `SM_BAD_MAC` otherwise, also for a MAC shorter than `minLength`.
 */
export function checkMac(full: Uint8Array, mac: Uint8Array, minLength = 4): void {
  if (mac.length < minLength || mac.length > full.length) {
    throw new ApduError(
      'SM_BAD_MAC',
      `MAC of ${mac.length} bytes (expected ${minLength}..${full.length})`,
    );
  }
  if (!constantTimeEqual(full.subarray(0, mac.length), mac)) {
    throw new ApduError('SM_BAD_MAC', 'MAC does not verify');
  }
}

/** Verifies an AES-CMAC (full or truncated to 8..16 bytes); `SM_BAD_MAC` on mismatch. */
export function verifyAesCmac(key: Uint8Array, data: Uint8Array, mac: Uint8Array): void {
  checkMac(aesCmac(key, data), mac, 8);
}
