/**
 * Fuzz: random and mutated APDUs against one card. The card must never throw,
 * must always answer a legal status word (and never 6F 00, our internal-error
 * answer), and no protected byte may leave the card unless a PIN that opens it
 * is verified (with the right value, earlier in the run) in the selected DF at
 * that moment — the strictest reading of "not verified in that run".
 *
 * 100,000 APDUs in the normal run; 2,000,000 with MYNA_SOAK=1. The run is
 * reproducible: MYNA_FUZZ_SEED=<n> replays one (the seed is in the failure).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isValidStatusWord, parseCommand, toHex, seededRandom } from '@myna-ap/apdu';
import { DfApplet, type Card } from '@myna-ap/card';
import { AIDS, HOLDER, fresh, issued } from './fixture.ts';

const SOAK = process.env.MYNA_SOAK === '1';
const COUNT = SOAK ? 2_000_000 : 100_000;

const enc = (s: string) => new TextEncoder().encode(s);

/** Ne of a well-formed command APDU (0 without Le), undefined when malformed. */
function neOf(apdu: Uint8Array): number | undefined {
  try {
    return parseCommand(apdu).ne ?? 0;
  } catch {
    return undefined;
  }
}
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

interface Needle {
  readonly what: string;
  readonly bytes: Buffer;
  /** `AIDHEX/FID` of PINs whose correct verification may reveal it; empty = never. */
  readonly openedBy: readonly string[];
}

test(`fuzz: ${COUNT.toLocaleString('en')} random and mutated APDUs`, async () => {
  const { image, secrets } = await issued();
  const card: Card = await fresh();
  const seed = Number(process.env.MYNA_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const rand = seededRandom(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;

  const key = (aid: string, fid: number) => `${aid}/${fid.toString(16).padStart(4, '0')}`;
  const fromImage = (h: string | undefined) => Buffer.from(h ?? '', 'hex');
  const signCert = fromImage(image.jpki.files['0001']);
  const authKey = fromImage(image.jpki.files['0017']);
  const signKey = fromImage(image.jpki.files['001A']);
  const cardAuthKey = fromImage(image.visual.files['0010']);
  const holderOpeners = [
    key(AIDS.text, 0x11),
    key(AIDS.text, 0x14),
    key(AIDS.text, 0x15),
    key(AIDS.jpki, 0x1b),
  ];
  const needles: Needle[] = [
    {
      what: 'My Number',
      bytes: Buffer.from(enc(secrets.myNumber)),
      openedBy: [key(AIDS.text, 0x11), key(AIDS.text, 0x14)],
    },
    { what: 'name', bytes: Buffer.from(enc(HOLDER.name)), openedBy: holderOpeners },
    { what: 'address', bytes: Buffer.from(enc(HOLDER.address)), openedBy: holderOpeners },
    {
      what: 'sign certificate',
      bytes: signCert.subarray(signCert.length - 32),
      openedBy: [key(AIDS.jpki, 0x1b)],
    },
    // the key files end inside qInv (CRT coefficient): private, unlike the modulus
    { what: 'auth key', bytes: authKey.subarray(authKey.length - 32), openedBy: [] },
    { what: 'sign key', bytes: signKey.subarray(signKey.length - 32), openedBy: [] },
    { what: 'card-auth key', bytes: cardAuthKey.subarray(cardAuthKey.length - 32), openedBy: [] },
    {
      what: '住民票コード',
      bytes: Buffer.from(enc(secrets.residentCode)),
      openedBy: [key(AIDS.juki, 0x11)],
    },
  ];

  // Valid commands to start from: every AID, every EF and PIN, reads, verifies, signs.
  const seeds: Uint8Array[] = [];
  const tree: Record<string, { efs: number[]; pins: [number, string][] }> = {
    [AIDS.jpki]: {
      efs: [0x01, 0x02, 0x06, 0x0a, 0x0b, 0x17, 0x1a],
      pins: [
        [0x18, secrets.pin],
        [0x1b, secrets.signPassword],
      ],
    },
    [AIDS.text]: {
      efs: [1, 2, 3, 4, 5],
      pins: [
        [0x11, secrets.pin],
        [0x14, secrets.myNumber],
        [0x15, secrets.pinB],
      ],
    },
    [AIDS.visual]: {
      efs: [2, 3, 0x10],
      pins: [
        [0x13, secrets.myNumber],
        [0x12, secrets.pinB],
      ],
    },
    [AIDS.juki]: { efs: [1], pins: [[0x11, secrets.pin]] },
    [AIDS.common]: { efs: [1, 2, 3], pins: [] },
  };
  for (const [aid, t] of Object.entries(tree)) {
    const a = hex(aid);
    for (const p2 of [0x0c, 0x00, 0x04])
      seeds.push(Uint8Array.of(0x00, 0xa4, 0x04, p2, a.length, ...a));
    for (const fid of [...t.efs, ...t.pins.map(([f]) => f)]) {
      seeds.push(Uint8Array.of(0x00, 0xa4, 0x02, 0x0c, 0x02, 0x00, fid));
      seeds.push(Uint8Array.of(0x00, 0xb0, 0x80 | fid, 0x00, 0x00));
    }
    for (const [fid, pin] of t.pins) {
      const p = enc(pin);
      seeds.push(Uint8Array.of(0x00, 0x20, 0x00, 0x80, p.length, ...p));
      seeds.push(Uint8Array.of(0x00, 0x20, 0x00, 0x80 | fid, p.length, ...p));
      seeds.push(Uint8Array.of(0x00, 0x20, 0x00, 0x80));
      // CHANGE REFERENCE DATA: old ‖ old (a change to the same PIN keeps the run's model true)
      seeds.push(Uint8Array.of(0x00, 0x24, 0x00, 0x80 | fid, 2 * p.length, ...p, ...p));
    }
  }
  for (const p1 of [0, 1, 2, 3]) seeds.push(Uint8Array.of(0x00, 0xb0, p1, 0x00, 0x00));
  seeds.push(
    hex('00B0000004'),
    hex('00B0001000'),
    hex('00B00000000000'),
    hex('00B0000111'),
    hex('00B00280FF'),
  );
  const digestInfo = hex('3031300d060960864801650304020105000420' + '11'.repeat(32));
  seeds.push(Uint8Array.of(0x80, 0x2a, 0x00, 0x80, digestInfo.length, ...digestInfo, 0x00));
  seeds.push(hex('0088009010000102030405060708090a0b0c0d0e0f00')); // INTERNAL AUTHENTICATE

  const mutate = (s: Uint8Array): Uint8Array => {
    const b = Array.from(s);
    const n = 1 + int(3);
    for (let k = 0; k < n; k++) {
      switch (int(6)) {
        case 0: // flip a byte
          if (b.length) b[int(b.length)] = int(256);
          break;
        case 1: // truncate
          b.length = int(b.length + 1);
          break;
        case 2: // append junk
          for (let i = int(8); i > 0; i--) b.push(int(256));
          break;
        case 3: // P1/P2 anything
          if (b.length >= 4) b[2 + int(2)] = int(256);
          break;
        case 4: // CLA anything
          if (b.length >= 1) b[0] = pick([0x00, 0x80, 0x0c, 0x04, 0x10, 0x01, 0xff, int(256)]);
          break;
        case 5: // Lc/Le edge values
          if (b.length >= 5) b[4] = pick([0x00, 0x01, 0x7f, 0x80, 0xff, int(256)]);
          break;
      }
    }
    return Uint8Array.from(b);
  };

  const ever = new Set<string>();
  const applets = Object.values(AIDS).map((a) => [a, card.findApplet(hex(a)) as DfApplet] as const);
  const counts = { ok: 0, total: 0 };
  for (let i = 0; counts.total < COUNT; i++) {
    const r = rand();
    let apdu: Uint8Array;
    if (r < 0.35) apdu = pick(seeds);
    else if (r < 0.85) apdu = mutate(pick(seeds));
    else apdu = Uint8Array.from({ length: int(270) }, () => int(256));
    // A successful sign costs an RSA private operation (~1 ms): keep them rare.
    if (apdu[0] === 0x80 && apdu[1] === 0x2a && rand() < 0.9) continue;

    // What the card may disclose now: PINs verified (with the right value) in the current DF.
    const open = new Set<string>();
    for (const [aid, applet] of applets)
      for (const fid of applet.verifiedPins) open.add(key(aid, fid));
    let res: Uint8Array;
    try {
      res = card.transmit(apdu);
    } catch (e) {
      assert.fail(`seed ${seed}, APDU #${i} ${toHex(apdu)}: transmit threw ${String(e)}`);
    }
    counts.total++;
    assert.ok(res.length >= 2, `seed ${seed}: response shorter than a SW`);
    const sw = (res[res.length - 2]! << 8) | res[res.length - 1]!;
    if (!isValidStatusWord(sw) || sw === 0x6f00) {
      assert.fail(`seed ${seed}, APDU ${toHex(apdu)}: bad SW ${sw.toString(16)}`);
    }
    if (sw === 0x9000) counts.ok++;
    // ISO 7816-4: never more data than Ne (and none without Le), except the
    // JPKI signature, which is answered to a sign command without Le too.
    const ne = neOf(apdu);
    if (ne !== undefined && res.length - 2 > ne && !(apdu[0] === 0x80 && apdu[1] === 0x2a)) {
      assert.fail(`seed ${seed}: ${res.length - 2} bytes answered to ${toHex(apdu)} (Ne ${ne})`);
    }
    const data = Buffer.from(res.buffer, res.byteOffset, res.length - 2);
    if (data.length > 0) {
      for (const n of needles) {
        if (n.openedBy.some((k) => open.has(k))) continue;
        if (data.includes(n.bytes)) {
          assert.fail(`seed ${seed}: ${n.what} leaked in the answer to ${toHex(apdu)}`);
        }
      }
    }
    for (const [aid, applet] of applets)
      for (const fid of applet.verifiedPins) ever.add(key(aid, fid));

    // Now and then: power cycles, and the issuer resetting the PIN counters so
    // locked PINs do not shut the protected paths for the rest of the run.
    if (i % 997 === 0) card.reset();
    if (i % 5003 === 0) card.powerOff();
    if (i % 4001 === 0) {
      card.update((img) => ({
        ...img,
        jpki: { ...img.jpki, pins: image.jpki.pins },
        text: { ...img.text, pins: image.text.pins },
        visual: { ...img.visual, pins: image.visual.pins },
        juki: { ...img.juki, pins: image.juki.pins },
      }));
    }
  }
  // The run must have reached the protected paths, or it proved little.
  assert.ok(counts.ok > COUNT / 20, `only ${counts.ok} successful APDUs`);
  for (const k of [key(AIDS.jpki, 0x18), key(AIDS.text, 0x11), key(AIDS.juki, 0x11)]) {
    assert.ok(ever.has(k), `the run never verified ${k}`);
  }
});
