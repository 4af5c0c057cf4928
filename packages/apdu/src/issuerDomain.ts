/**
 * The card issuer's security domain (カード発行者セキュリティドメイン, GlobalPlatform's
 * ISD) of the emulated My Number Card: the facts both ends need — its AID, key
 * version, the published TEST master keys, and the issuer update stream (the STORE DATA content
 * that resets PINs, rewrites the 券面 EFs and replaces the sign certificate).
 * Bytes in packages/card/README.md, "Issuer operations".
 */
import { aidLengthOk } from './aid.ts';
import { ApduError, concat } from './bytes.ts';
import { command, type CommandApdu } from './command.ts';
import {
  MAX_PLAIN_BLOCK,
  MYNA_RID,
  encodeGpTlv,
  parseGpTlvs,
  type AreaMasterKeySet,
} from './gp.ts';

/** AID of the card issuer's SD: our RID ‖ "SD" ‖ 00 (the areas are 01 and 02). */
export const ISSUER_SD_AID = Uint8Array.of(...MYNA_RID, 0x53, 0x44, 0x00);
/** Key version number of the issuer key set (INITIALIZE UPDATE P1). */
export const ISSUER_KEY_VERSION = 0x20;
/** Diversification code of the issuer keys (the areas use their area codes 01, 02). */
export const ISSUER_DIVERSIFY_CODE = 0x00;

/** The card issuer's master key set (ENC, MAC, DEK; AES-128), as an area's. */
export type IssuerMasterKeys = AreaMasterKeySet;

function testKey(role: number): Uint8Array {
  // 00 <role> 42 43 … 4F: the area TEST keys' pattern with area code 00.
  return Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0x00 : i === 1 ? role : 0x40 + i));
}

/**
 * ⚠ PUBLISHED TEST KEYS — NOT SECRET. ⚠ Whoever has them can reset any PIN and
 * rewrite the 券面 data of a card made with them. Emulated demo cards and tests
 * only; a real issuer keeps its own masters in a key store (HSM).
 */
export const TEST_ISSUER_MASTER_KEYS: IssuerMasterKeys = {
  enc: testKey(0x01),
  mac: testKey(0x02),
  dek: testKey(0x03),
};

/** True when `keys` are the published TEST issuer keys (say so wherever they are used). */
export function isTestIssuerMasterKeys(keys: IssuerMasterKeys): boolean {
  const same = (a: Uint8Array, b: Uint8Array) =>
    a.length === b.length && a.every((x, i) => x === b[i]);
  return (
    same(keys.enc, TEST_ISSUER_MASTER_KEYS.enc) &&
    same(keys.mac, TEST_ISSUER_MASTER_KEYS.mac) &&
    same(keys.dek, TEST_ISSUER_MASTER_KEYS.dek)
  );
}

// ---------------------------------------------------------------------------
// The issuer update stream: STORE DATA `80 E2` blocks to the issuer SD; the last
// block is the commit point of everything the stream carries.

/** Item templates of the stream. */
export const ISSUER_ITEM = {
  /** `E1 { 4F AID, 80 02 PIN FID, 86 L new PIN }`: set a PIN, every try back (ロック解除). */
  PIN: 0xe1,
  /** `E2 { 4F AID, 80 02 EF FID, 83 L content }`: replace a data EF's content whole. */
  EF: 0xe2,
  /** `E3 { 4F AID, 80 02 key FID }`: the key pair made by GENERATE ASYMMETRIC KEY PAIR goes there. */
  KEY: 0xe3,
} as const;

/** Tags inside an item. */
export const ISSUER_TAG = { AID: 0x4f, FID: 0x80, CONTENT: 0x83, PIN: 0x86 } as const;

/** Longest stream the card takes (a visual AP face, the text EFs and a certificate fit). */
export const ISSUER_STREAM_MAX = 8192;

export type IssuerItem =
  | {
      readonly kind: 'pin';
      readonly aid: Uint8Array;
      readonly fid: number;
      readonly pin: Uint8Array;
    }
  | {
      readonly kind: 'ef';
      readonly aid: Uint8Array;
      readonly fid: number;
      readonly content: Uint8Array;
    }
  | { readonly kind: 'key'; readonly aid: Uint8Array; readonly fid: number };

const fidBytes = (fid: number) => Uint8Array.of(fid >> 8, fid & 0xff);

export function encodeIssuerItem(item: IssuerItem): Uint8Array {
  const head = concat(
    encodeGpTlv(ISSUER_TAG.AID, item.aid),
    encodeGpTlv(ISSUER_TAG.FID, fidBytes(item.fid)),
  );
  switch (item.kind) {
    case 'pin':
      return encodeGpTlv(ISSUER_ITEM.PIN, concat(head, encodeGpTlv(ISSUER_TAG.PIN, item.pin)));
    case 'ef':
      return encodeGpTlv(
        ISSUER_ITEM.EF,
        concat(head, encodeGpTlv(ISSUER_TAG.CONTENT, item.content)),
      );
    case 'key':
      return encodeGpTlv(ISSUER_ITEM.KEY, head);
  }
}

/**
 * Parses a whole stream; `undefined` when it is not a sequence of well-formed
 * items (each tag once, the right tags for its kind, a 2-byte FID, an AID of ISO length).
 */
export function parseIssuerStream(stream: Uint8Array): IssuerItem[] | undefined {
  try {
    const out: IssuerItem[] = [];
    for (const t of parseGpTlvs(stream)) {
      const inner = parseGpTlvs(t.value);
      const tags = inner.map((x) => x.tag);
      if (new Set(tags).size !== tags.length) return undefined;
      const get = (tag: number) => inner.find((x) => x.tag === tag)?.value;
      const aid = get(ISSUER_TAG.AID);
      const fid = get(ISSUER_TAG.FID);
      if (!aid || !aidLengthOk(aid.length) || !fid || fid.length !== 2) return undefined;
      const f = (fid[0]! << 8) | fid[1]!;
      const only = (...allowed: number[]) => tags.every((x) => allowed.includes(x));
      if (t.tag === ISSUER_ITEM.PIN) {
        const pin = get(ISSUER_TAG.PIN);
        if (!pin || !only(ISSUER_TAG.AID, ISSUER_TAG.FID, ISSUER_TAG.PIN)) return undefined;
        out.push({ kind: 'pin', aid, fid: f, pin });
      } else if (t.tag === ISSUER_ITEM.EF) {
        const content = get(ISSUER_TAG.CONTENT);
        if (!content || !only(ISSUER_TAG.AID, ISSUER_TAG.FID, ISSUER_TAG.CONTENT)) return undefined;
        out.push({ kind: 'ef', aid, fid: f, content });
      } else if (t.tag === ISSUER_ITEM.KEY) {
        if (!only(ISSUER_TAG.AID, ISSUER_TAG.FID)) return undefined;
        out.push({ kind: 'key', aid, fid: f });
      } else {
        return undefined;
      }
    }
    return out;
  } catch {
    return undefined;
  }
}

/**
 * STORE DATA `80 E2 <P1> <P2>` blocks carrying `stream`: P1 `00` for a block,
 * `80` for the last (the commit), P2 the block number from 00. Plain commands:
 * wrap each with the issuer SD's channel (C-DECRYPTION: PINs travel inside).
 */
export function issuerStoreDataCommands(
  stream: Uint8Array,
  maxBlock: number = MAX_PLAIN_BLOCK,
): CommandApdu[] {
  if (stream.length === 0 || stream.length > ISSUER_STREAM_MAX) {
    throw new ApduError(
      'APDU_TOO_LONG',
      `issuer stream of ${stream.length} bytes (1..${ISSUER_STREAM_MAX})`,
    );
  }
  if (maxBlock < 16 || maxBlock > MAX_PLAIN_BLOCK) {
    throw new ApduError('APDU_BAD_FIELD', `block size ${maxBlock} outside 16..${MAX_PLAIN_BLOCK}`);
  }
  const n = Math.ceil(stream.length / maxBlock);
  return Array.from({ length: n }, (_, i) =>
    command({
      cla: 0x80,
      ins: 0xe2,
      p1: i === n - 1 ? 0x80 : 0x00,
      p2: i,
      data: stream.slice(i * maxBlock, (i + 1) * maxBlock),
    }),
  );
}

/** GENERATE ASYMMETRIC KEY PAIR `00 46 00 00` (ISO 7816-8): a new RSA-2048 pair, staged. */
export function generateKeyPairCommand(): CommandApdu {
  // The answer (7F 49 { 81 n, 82 e }, 269 bytes + R-MAC) needs extended Le.
  return command({ cla: 0x00, ins: 0x46, p1: 0x00, p2: 0x00, ne: 512, extended: true });
}

/** SET STATUS `80 F0 40 07 Lc <SD AID>`: unblocks an area's key set (the counter back to 0). */
export function unblockSecurityDomainCommand(sdAid: Uint8Array): CommandApdu {
  return command({ cla: 0x80, ins: 0xf0, p1: 0x40, p2: 0x07, data: sdAid });
}
