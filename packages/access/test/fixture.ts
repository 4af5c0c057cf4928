/**
 * A JPKI card for tests and benchmarks, made once per process with the card
 * package's createCard and certificates from the test JPKI issuer (@myna-ap/pki).
 */
import { randomBytes } from 'node:crypto';
import { JpkiIssuer } from '@myna-ap/pki';
import {
  KEY_PACKAGE_FORMAT,
  TEST_AREA_MASTER_KEYS,
  cardApCardKeys,
  cardApFixedPin,
  fromHex,
  installCardAp,
  openAreaSession,
  toHex,
  type CardApInstallSpec,
  type CardApKeyPackage,
  type CardApKeys,
  type CardApType,
} from '@myna-ap/apdu';
import { InProcessChannel } from '@myna-ap/transport';
import {
  Card,
  createCard,
  generateCardKeys,
  newCardIssuer,
  type CardHolder,
  type CreatedCard,
} from '@myna-ap/card';

export const HOLDER: CardHolder = {
  name: '番号 太郎',
  address: '東京都千代田区千代田1番1号',
  birthDate: '1985-04-01',
  sex: '1',
};
export const PIN = '1234';
export const SIGN_PASSWORD = 'ABC123';

/** The real test JPKI issuer, in memory. */
export function testIssuer(): Promise<JpkiIssuer> {
  return JpkiIssuer.createInMemory();
}

let made: Promise<CreatedCard> | undefined;
let pki: Promise<JpkiIssuer> | undefined;
let keys: ReturnType<typeof generateCardKeys> | undefined;

/** The card issuer key that signed the issued card's 券面 data. */
export const cardIssuer = newCardIssuer();

/** The test JPKI issuer that issued the card's certificates (one per process). */
export function cardPki(): Promise<JpkiIssuer> {
  pki ??= testIssuer();
  return pki;
}

/** The issued card's JPKI keys (one set per process). */
export function cardKeys() {
  keys ??= generateCardKeys();
  return keys;
}

/** The card as issued (made once per process: RSA key generation is slow). */
export function issued(): Promise<CreatedCard> {
  made ??= (async () =>
    createCard({
      holder: HOLDER,
      certificates: await cardPki(),
      keys: await cardKeys(),
      cardIssuer,
      pin: PIN,
      signPassword: SIGN_PASSWORD,
    }))();
  return made;
}

/** A fresh card with the issued image: every PIN with all its tries. */
export async function freshCard(): Promise<Card> {
  return Card.fromImage((await issued()).image);
}

// ---------------------------------------------------------------------------
// Card APs as the loading system installs them (the extended area's channel with
// the TEST area keys, per-card keys from a card AP master), for the access
// module's tests and the docs' examples.

/** The user ID every test card AP carries. */
export const TEST_USER_ID = '0102030405060708090A0B0C0D';
/** The holder's card AP PIN of the test card APs A and custom. */
export const TEST_CARD_AP_PIN = '4321';
export const TEST_CARD_AP_AID = {
  C: 'F04D594E4150000100',
  A: 'F04D594E4150000101',
  D: 'F04D594E4150000102',
  custom: 'F04D594E4150000103',
} as const;

/** A key package as `myna ap keys` writes it, for `master`. */
export function testKeyPackage(
  master: CardApKeys,
  type: CardApType,
  aid: string,
  fixed: boolean,
  extra: Partial<CardApKeyPackage> = {},
): CardApKeyPackage {
  return {
    format: KEY_PACKAGE_FORMAT,
    version: 1,
    cardApId: 'ap_000000000000000000000001',
    providerId: 'CHIYODA',
    name: 'test',
    type,
    aid,
    keys: { enc: toHex(master.enc).toUpperCase(), mac: toHex(master.mac).toUpperCase() },
    pin: { fixed },
    issuedAt: '2026-12-01T00:00:00.000Z',
    ...extra,
  };
}

export interface CardWithCardAps {
  readonly card: Card;
  readonly channel: InProcessChannel;
  readonly master: CardApKeys;
  /** Key packages of A (holder's PIN), D (system-fixed PIN) and custom (holder's PIN). */
  readonly keyPackages: {
    readonly A: CardApKeyPackage;
    readonly D: CardApKeyPackage;
    readonly custom: CardApKeyPackage;
  };
}

/**
 * A fresh card with four card APs of one provider in 拡張利用領域: type C
 * (`81 03 "ABC"`), type A (records 2 `CAFE`, 3 `00`; 64 bytes), type D (a ride
 * counter `00 00` at offset 13 and `BEEF`…; 255 bytes), custom (EF 0001 free with
 * the user ID, EF 0002 encrypted, 200 bytes).
 */
export async function cardWithCardAps(): Promise<CardWithCardAps> {
  const card = await freshCard();
  const master: CardApKeys = {
    enc: new Uint8Array(randomBytes(16)),
    mac: new Uint8Array(randomBytes(16)),
  };
  const serial = fromHex((card.image.common as { files: Record<string, string> }).files['0001']!);
  const channel = new InProcessChannel(card);
  const s = await openAreaSession((b) => channel.transmit(b), 'extended', TEST_AREA_MASTER_KEYS);
  const provider = new TextEncoder().encode('CHIYODA');
  const userId = fromHex(TEST_USER_ID);
  const pin = new TextEncoder().encode(TEST_CARD_AP_PIN);
  const aid = (t: keyof typeof TEST_CARD_AP_AID) => fromHex(TEST_CARD_AP_AID[t]);
  const keys = (t: keyof typeof TEST_CARD_AP_AID) => cardApCardKeys(master, serial, aid(t));
  const specs: CardApInstallSpec[] = [
    {
      aid: aid('C'),
      type: 'C',
      size: 33,
      providerId: provider,
      userId,
      data: fromHex('8103414243'),
    },
    {
      aid: aid('A'),
      type: 'A',
      size: 64,
      providerId: provider,
      userId,
      keys: keys('A'),
      pin,
      pinTries: 3,
      records: [fromHex('CAFE'), fromHex('00')],
    },
    {
      aid: aid('D'),
      type: 'D',
      size: 255,
      providerId: provider,
      userId,
      keys: keys('D'),
      pin: cardApFixedPin(master, serial, aid('D')),
      data: fromHex('0000BEEF'),
    },
    {
      aid: aid('custom'),
      type: 'custom',
      size: 300,
      providerId: provider,
      userId,
      keys: keys('custom'),
      pin,
      efs: [
        { fid: 0x0001, size: 64, access: 'free', content: fromHex('11') },
        { fid: 0x0002, size: 200, access: 'encrypted', content: fromHex('2222') },
      ],
    },
  ];
  for (const spec of specs) await installCardAp(s, spec);
  await channel.reset();
  return {
    card,
    channel,
    master,
    keyPackages: {
      A: testKeyPackage(master, 'A', TEST_CARD_AP_AID.A, false),
      D: testKeyPackage(master, 'D', TEST_CARD_AP_AID.D, true),
      custom: testKeyPackage(master, 'custom', TEST_CARD_AP_AID.custom, false, {
        efs: [
          { fid: 1, size: 64, access: 'free' },
          { fid: 2, size: 200, access: 'encrypted' },
        ],
      }),
    },
  };
}
