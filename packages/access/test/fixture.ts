/**
 * A JPKI card for tests and benchmarks, made once per process with the card
 * package's createCard and certificates from the test JPKI issuer (@myna-ap/pki).
 */
import { JpkiIssuer } from '@myna-ap/pki';
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
