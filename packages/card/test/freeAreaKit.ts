/** Shared set-up of the free-area tests: a card with only the free areas, host sessions, specs. */
import { randomBytes } from 'node:crypto';
import {
  AREA_CODE,
  TEST_AREA_MASTER_KEYS,
  diversifyScp03Keys,
  fromHex,
  installCommands,
  openSecureSession,
  type AreaMasterKeys,
  type AreaName,
  type CardApInstallSpec,
  type SecureSession,
  type Transmit,
} from '@myna-ap/apdu';
import { Card, emptyCardImage } from '@myna-ap/card';
import { attachFreeAreas, newFreeAreas, SD_AID } from '../src/freeArea/index.ts';

export const CARD_ID = fromHex('00112233445566778899aabbccddeeff');

/** A card holding nothing but the two free areas. */
export function blankCard(
  opts: { cardId?: Uint8Array; capacity?: Partial<Record<AreaName, number>> } = {},
): Card {
  const card = new Card({
    ...emptyCardImage(),
    freeAreas: newFreeAreas({
      cardId: opts.cardId ?? CARD_ID,
      ...(opts.capacity ? { capacity: opts.capacity } : {}),
    }),
  });
  attachFreeAreas(card);
  return card;
}

/** The card rebuilt from its image after a JSON round trip (what a saved file gives). */
export function reloaded(card: Card): Card {
  const copy = new Card(JSON.parse(JSON.stringify(card.image)));
  attachFreeAreas(copy);
  return copy;
}

export const tx =
  (card: Card): Transmit =>
  (b) =>
    card.transmit(b);

/** Opens the area's SD channel the way the loading system does: masters + the card's KDD. */
export function openArea(
  transmit: Transmit,
  area: AreaName,
  opts: { masters?: AreaMasterKeys; keysOf?: AreaName; level?: number } = {},
): Promise<SecureSession> {
  const masters = opts.masters ?? TEST_AREA_MASTER_KEYS;
  const keyArea = opts.keysOf ?? area;
  return openSecureSession(transmit, SD_AID[area], {
    keys: (kdd) => diversifyScp03Keys(masters[keyArea], kdd, AREA_CODE[keyArea]),
    keyVersion: 0x30,
    level: opts.level ?? 0x33,
  });
}

/** Sends every command of an install; returns the last status word (9000 when committed). */
export async function install(
  s: SecureSession,
  spec: CardApInstallSpec,
  maxBlock?: number,
): Promise<number> {
  let sw = 0x9000;
  for (const c of installCommands(spec, maxBlock)) {
    sw = (await s.send(c)).sw;
    if (sw !== 0x9000) break;
  }
  return sw;
}

/** A user ID as the loading system makes it: 13 random bytes. */
export function uid(): Uint8Array {
  return new Uint8Array(randomBytes(13));
}

export const PROVIDER_A = new TextEncoder().encode('LIB-CHIYODA');
export const PROVIDER_B = new TextEncoder().encode('TAXI-TOKYO');
export const KEYS_A = {
  enc: fromHex('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf'),
  mac: fromHex('b0b1b2b3b4b5b6b7b8b9babbbcbdbebf'),
};
export const KEYS_B = {
  enc: fromHex('c0c1c2c3c4c5c6c7c8c9cacbcccdcecf'),
  mac: fromHex('d0d1d2d3d4d5d6d7d8d9dadbdcdddedf'),
};
export const PIN = new TextEncoder().encode('1234');

export function apAid(n: number): Uint8Array {
  return fromHex(`d392f000990000${n.toString(16).padStart(2, '0')}`);
}

export function specC(n: number, userId = uid()): CardApInstallSpec {
  return {
    aid: apAid(n),
    type: 'C',
    size: 33,
    providerId: PROVIDER_A,
    userId,
    data: fromHex('8104000000018203414243'),
  };
}

export function specA(n: number, userId = uid(), keys = KEYS_A): CardApInstallSpec {
  return {
    aid: apAid(n),
    type: 'A',
    size: 255,
    providerId: PROVIDER_A,
    userId,
    keys,
    pin: PIN,
    records: [new TextEncoder().encode('職員番号 0042'), fromHex('0102030405')],
  };
}

export function specD(
  n: number,
  userId = uid(),
  data = new Uint8Array(200).fill(0x5a),
): CardApInstallSpec {
  return {
    aid: apAid(n),
    type: 'D',
    size: 255,
    providerId: PROVIDER_B,
    userId,
    keys: KEYS_B,
    pin: PIN,
    data,
  };
}
