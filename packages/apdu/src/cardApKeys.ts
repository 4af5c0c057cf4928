/**
 * Keys of a card AP (types A, D, protected custom EFs), shared by the loading
 * system (which writes them at INSTALL) and a provider's business systems (which
 * open the card AP with them). A provider holds one **master** key set per card
 * AP — its key package (鍵パッケージ); each card holds keys diversified from it
 * with the card's serial and the card AP's AID, so the keys read out of one card
 * open no other card and no other card AP.
 *
 *   context   = KDD(card serial) ‖ AID            KDD = SHA-256(serial)[0..9]
 *   card K-ENC = KDF(master K-ENC, 51, context, 128)
 *   card K-MAC = KDF(master K-MAC, 52, context, 128)
 *   fixed PIN  = 8 ASCII digits of KDF(master K-MAC, 53, context, 64) mod 10^8
 *
 * The fixed PIN is the "system-fixed PIN" (システム固定のPIN) of seeds/002 III-3:
 * the business system derives it, the holder never types it.
 */
import { ApduError, concat, fromHex, toHex } from './bytes.ts';
import { CARD_AP_TYPES, type CardApKeys, type CardApType, type EfAccess } from './gp.ts';
import { keyDiversificationData, scp03Kdf } from './scp03.ts';
import { AID_LENGTH, aidLengthOk } from './aid.ts';
import type { GP_ERRORS } from './errors.ts';

/** Derivation constants of the per-card card AP keys (outside SCP03's 00..07 and the areas' 41..43). */
export const CARD_AP_DIVERSIFY = { ENC: 0x51, MAC: 0x52, FIXED_PIN: 0x53 } as const;

function context(cardSerial: Uint8Array, aid: Uint8Array): Uint8Array {
  if (!aidLengthOk(aid.length)) {
    throw new ApduError(
      'SM_BAD_KEY',
      `card AP AID of ${aid.length} bytes (${AID_LENGTH.min}..${AID_LENGTH.max})`,
    );
  }
  return concat(keyDiversificationData(cardSerial), aid);
}

function checkMaster(master: CardApKeys): void {
  if (master.enc.length !== 16 || master.mac.length !== 16) {
    throw new ApduError('SM_BAD_KEY', 'card AP master keys must be AES-128 (16 bytes each)');
  }
}

/** The keys one card holds for the card AP `aid`. */
export function cardApCardKeys(
  master: CardApKeys,
  cardSerial: Uint8Array,
  aid: Uint8Array,
): CardApKeys {
  checkMaster(master);
  const ctx = context(cardSerial, aid);
  return {
    enc: scp03Kdf(master.enc, CARD_AP_DIVERSIFY.ENC, ctx, 128),
    mac: scp03Kdf(master.mac, CARD_AP_DIVERSIFY.MAC, ctx, 128),
  };
}

/** The system-fixed PIN (システム固定PIN) of the card AP on this card: 8 ASCII digits. */
export function cardApFixedPin(
  master: CardApKeys,
  cardSerial: Uint8Array,
  aid: Uint8Array,
): Uint8Array {
  checkMaster(master);
  const b = scp03Kdf(master.mac, CARD_AP_DIVERSIFY.FIXED_PIN, context(cardSerial, aid), 64);
  const n = BigInt(`0x${toHex(b)}`) % 100_000_000n;
  return new TextEncoder().encode(n.toString().padStart(8, '0'));
}

// ---------------------------------------------------------------------------
// The key package: what the loading system hands a provider for its business
// systems (カードAPアクセスモジュール). JSON, one card AP per file.

export const KEY_PACKAGE_FORMAT = 'myna-cardap-keys';

export interface CardApKeyPackage {
  readonly format: typeof KEY_PACKAGE_FORMAT;
  readonly version: 1;
  readonly cardApId: string;
  readonly providerId: string;
  readonly name: string;
  readonly type: CardApType;
  /** Upper-case hex. */
  readonly aid: string;
  /** Master keys, upper-case hex (32 digits each). Diversify per card with `cardApCardKeys`. */
  readonly keys: { readonly enc: string; readonly mac: string };
  /** `fixed`: the PIN is `cardApFixedPin`; otherwise the holder chose it at loading. */
  readonly pin: { readonly fixed: boolean } | null;
  /** Custom card APs: the EFs of the input file (FID, size, access). */
  readonly efs?: readonly {
    readonly fid: number;
    readonly size: number;
    readonly access: EfAccess;
  }[];
  readonly issuedAt: string;
}

export class KeyPackageError extends Error {
  override readonly name = 'KeyPackageError';
  readonly code = 'KEY_PACKAGE_INVALID' satisfies keyof typeof GP_ERRORS;
  constructor(message: string) {
    super(`key package: ${message}`);
  }
}

const HEX32 = /^[0-9A-Fa-f]{32}$/;

/** Checks a parsed JSON value against the key package format. */
export function parseKeyPackage(v: unknown): CardApKeyPackage {
  if (typeof v !== 'object' || v === null) throw new KeyPackageError('not a JSON object');
  const o = v as Record<string, unknown>;
  if (o.format !== KEY_PACKAGE_FORMAT) {
    throw new KeyPackageError(`format is not "${KEY_PACKAGE_FORMAT}"`);
  }
  if (o.version !== 1) throw new KeyPackageError(`version ${String(o.version)} is not supported`);
  const str = (k: string): string => {
    const x = o[k];
    if (typeof x !== 'string' || x.length === 0 || x.length > 200) {
      throw new KeyPackageError(`${k} missing or not a string`);
    }
    return x;
  };
  const type = str('type');
  if (!(CARD_AP_TYPES as readonly string[]).includes(type))
    throw new KeyPackageError(`type ${type}`);
  const aid = str('aid');
  if (!/^([0-9A-Fa-f]{2})+$/.test(aid) || !aidLengthOk(aid.length / 2))
    throw new KeyPackageError(`aid is not ${AID_LENGTH.min}..${AID_LENGTH.max} hex bytes`);
  const keys = o.keys as Record<string, unknown> | undefined;
  if (
    typeof keys !== 'object' ||
    keys === null ||
    typeof keys.enc !== 'string' ||
    typeof keys.mac !== 'string' ||
    !HEX32.test(keys.enc) ||
    !HEX32.test(keys.mac)
  ) {
    throw new KeyPackageError('keys.enc and keys.mac must be 32 hex digits');
  }
  const pin = o.pin as { fixed?: unknown } | null | undefined;
  if (pin !== null && (typeof pin !== 'object' || typeof pin.fixed !== 'boolean')) {
    throw new KeyPackageError('pin must be null or { "fixed": true|false }');
  }
  let efs: CardApKeyPackage['efs'];
  if (o.efs !== undefined) {
    if (!Array.isArray(o.efs) || o.efs.length > 16)
      throw new KeyPackageError('efs must be a list of at most 16 EFs');
    efs = o.efs.map((e: unknown, n) => {
      const x = e as Record<string, unknown> | null;
      if (
        !x ||
        !Number.isInteger(x.fid) ||
        (x.fid as number) < 1 ||
        (x.fid as number) > 0xfffe ||
        !Number.isInteger(x.size) ||
        (x.size as number) < 1 ||
        !['free', 'protected', 'encrypted'].includes(x.access as string)
      ) {
        throw new KeyPackageError(
          `efs[${n}] needs fid, size and access (free, protected, encrypted)`,
        );
      }
      return { fid: x.fid as number, size: x.size as number, access: x.access as EfAccess };
    });
  }
  return {
    format: KEY_PACKAGE_FORMAT,
    version: 1,
    cardApId: str('cardApId'),
    providerId: str('providerId'),
    name: str('name'),
    type: type as CardApType,
    aid: aid.toUpperCase(),
    keys: { enc: keys.enc.toUpperCase(), mac: keys.mac.toUpperCase() },
    pin: pin === null ? null : { fixed: pin.fixed as boolean },
    ...(efs ? { efs } : {}),
    issuedAt: str('issuedAt'),
  };
}

/** The master keys of a key package as bytes. */
export function keyPackageMaster(p: CardApKeyPackage): CardApKeys {
  return { enc: fromHex(p.keys.enc), mac: fromHex(p.keys.mac) };
}
