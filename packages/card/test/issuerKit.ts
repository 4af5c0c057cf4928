/** Host side of the issuer SD in the card's tests: open its channel, send an issuer update. */
import {
  ISSUER_DIVERSIFY_CODE,
  ISSUER_KEY_VERSION,
  ISSUER_SD_AID,
  TEST_ISSUER_MASTER_KEYS,
  concat,
  diversifyScp03Keys,
  encodeIssuerItem,
  fromHex,
  issuerStoreDataCommands,
  openSecureSession,
  type IssuerItem,
  type IssuerMasterKeys,
  type SecureSession,
  type Transmit,
} from '@myna-ap/apdu';
import { AID, TEXT_EF, VISUAL_EF } from '@myna-ap/profile';
import {
  DEFAULT_FACE_JP2,
  basicInfoEf,
  myNumberEf,
  textSignatureEf,
  visualEntriesEf,
  type Card,
} from '@myna-ap/card';
import { HOLDER, cardIssuer } from './fixture.ts';

export const txOf =
  (card: Card): Transmit =>
  (b) =>
    card.transmit(b);

export function openIssuer(
  t: Transmit,
  opts: { masters?: IssuerMasterKeys; level?: number } = {},
): Promise<SecureSession> {
  const masters = opts.masters ?? TEST_ISSUER_MASTER_KEYS;
  return openSecureSession(t, ISSUER_SD_AID, {
    keys: (kdd) => diversifyScp03Keys(masters, kdd, ISSUER_DIVERSIFY_CODE),
    keyVersion: ISSUER_KEY_VERSION,
    level: opts.level ?? 0x33,
  });
}

/** Sends an issuer update; returns the last status word (9000 when committed). */
export async function update(
  s: SecureSession,
  items: readonly IssuerItem[],
  maxBlock?: number,
): Promise<number> {
  let sw = 0x9000;
  for (const c of issuerStoreDataCommands(concat(...items.map(encodeIssuerItem)), maxBlock)) {
    sw = (await s.send(c)).sw;
    if (sw !== 0x9000) break;
  }
  return sw;
}

export const ascii = (s: string) => new TextEncoder().encode(s);

export const pinItem = (aid: Uint8Array, fid: number, pin: string): IssuerItem => ({
  kind: 'pin',
  aid,
  fid,
  pin: ascii(pin),
});

/** The fixed APs' part of the image: what an issuer update may change. */
export function fixedState(card: Card): string {
  const { jpki, text, visual, juki, common } = card.image;
  return JSON.stringify({ jpki, text, visual, juki, common });
}

/** As `fixedState` without PIN salts and digests (random per PIN object). */
export function fixedStateNoSalt(card: Card): string {
  return fixedState(card).replace(/"salt":"[0-9a-f]+","digest":"[0-9a-f]+"/g, '"pin"');
}

export { AID, fromHex };

export const MOVED = { ...HOLDER, address: '大阪府大阪市北区中之島1丁目3番20号' };

/** New 券面 contents after a move, built as the card issuer does. */
export function movedFace(): IssuerItem[] {
  const info = basicInfoEf(MOVED);
  return [
    { kind: 'ef', aid: AID.text, fid: TEXT_EF.basicInfo, content: info },
    {
      kind: 'ef',
      aid: AID.text,
      fid: TEXT_EF.signature,
      content: textSignatureEf(myNumberEf('123456789018'), info, cardIssuer),
    },
    {
      kind: 'ef',
      aid: AID.visual,
      fid: VISUAL_EF.entries,
      content: visualEntriesEf(
        { ...MOVED, expiry: '2036-01-01', securityCode: '4321', face: DEFAULT_FACE_JP2 },
        cardIssuer,
      ),
    },
  ];
}
