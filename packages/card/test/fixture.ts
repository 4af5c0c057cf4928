/**
 * One card per test file: RSA key generation and certificate issue take a few
 * hundred milliseconds, so files make a card once and power-cycle it between
 * tests (`fresh()` restores the issued image, PIN counters included).
 */
import { JpkiIssuer } from '@myna-ap/pki';
import { Card, createCard, generateCardKeys, newCardIssuer, type CreatedCard } from '@myna-ap/card';

export const HOLDER = {
  name: '番号 花子',
  address: '東京都千代田区千代田1番1号',
  birthDate: '1990-01-01',
  sex: '2',
} as const;

let made: Promise<CreatedCard> | undefined;
export const cardIssuer = newCardIssuer();
let pki: Promise<JpkiIssuer> | undefined;
let keys: ReturnType<typeof generateCardKeys> | undefined;

export function testPki(): Promise<JpkiIssuer> {
  pki ??= JpkiIssuer.createInMemory();
  return pki;
}

export function testKeys() {
  keys ??= generateCardKeys();
  return keys;
}

/** The card as issued, made once per test file. */
export function issued(): Promise<CreatedCard> {
  made ??= (async () =>
    createCard({
      holder: HOLDER,
      certificates: await testPki(),
      keys: await testKeys(),
      cardIssuer,
      myNumber: '123456789018',
      securityCode: '4321',
      expiry: '2036-01-01',
      residentCode: '98765432109',
    }))();
  return made;
}

/** A new card with the issued image: every PIN with all its tries. */
export async function fresh(): Promise<Card> {
  return Card.fromImage((await issued()).image);
}

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

/** Sends an APDU given as hex; returns data and SW. */
export function tx(card: Card, apdu: string | Uint8Array): { data: Uint8Array; sw: number } {
  const r = card.transmit(typeof apdu === 'string' ? hex(apdu) : apdu);
  return { data: r.subarray(0, r.length - 2), sw: (r[r.length - 2]! << 8) | r[r.length - 1]! };
}

export function selectAid(card: Card, aidHex: string): number {
  const a = hex(aidHex);
  return tx(card, Uint8Array.of(0x00, 0xa4, 0x04, 0x0c, a.length, ...a)).sw;
}

export function selectEf(card: Card, fid: number): number {
  return tx(card, Uint8Array.of(0x00, 0xa4, 0x02, 0x0c, 0x02, fid >> 8, fid & 0xff)).sw;
}

export function verify(card: Card, pin: string): number {
  const p = new TextEncoder().encode(pin);
  return tx(card, Uint8Array.of(0x00, 0x20, 0x00, 0x80, p.length, ...p)).sw;
}

/** Reads the current EF to its end in chunks of `chunk` bytes (as jpki/myna does). */
export function readAll(card: Card, chunk = 0xff): { data: Uint8Array; sw: number } {
  const parts: number[] = [];
  for (;;) {
    const off = parts.length;
    const r = tx(card, Uint8Array.of(0x00, 0xb0, off >> 8, off & 0xff, chunk));
    if (r.sw === 0x6b00 && off > 0) return { data: Uint8Array.from(parts), sw: 0x9000 };
    if (r.sw !== 0x9000) return { data: Uint8Array.from(parts), sw: r.sw };
    if (r.data.length === 0) throw new Error('90 00 without data inside a file');
    parts.push(...r.data);
  }
}

/** A minimal BER-TLV reader for checking layouts (multi-byte tags, 81/82 lengths). */
export function readTlv(
  b: Uint8Array,
  at = 0,
): { tag: number; value: Uint8Array; end: number; start: number } {
  let i = at;
  let tag = b[i++]!;
  if ((tag & 0x1f) === 0x1f) {
    let t: number;
    do {
      t = b[i++]!;
      tag = (tag << 8) | t;
    } while (t & 0x80);
  }
  let len = b[i++]!;
  if (len === 0x81) len = b[i++]!;
  else if (len === 0x82) {
    len = (b[i]! << 8) | b[i + 1]!;
    i += 2;
  }
  if (i + len > b.length) throw new Error('TLV truncated');
  return { tag, value: b.subarray(i, i + len), end: i + len, start: at };
}

export function readTlvs(
  b: Uint8Array,
): { tag: number; value: Uint8Array; start: number; end: number }[] {
  const out = [];
  let at = 0;
  while (at < b.length) {
    const t = readTlv(b, at);
    out.push(t);
    at = t.end;
  }
  return out;
}

export const AIDS = {
  jpki: 'D392F000260100000001',
  text: 'D3921000310001010408',
  visual: 'D3921000310001010402',
  juki: 'D3921000310001010401',
  common: 'D3921000310001010100',
} as const;
