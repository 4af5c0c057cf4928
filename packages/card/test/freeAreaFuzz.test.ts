/**
 * Bad input to the free areas: random and mutated APDUs (plain and wrapped) sent
 * to the security domains and card APs. The card never fails internally (6F 00),
 * always answers a valid status word, never shows a protected card AP's data, and
 * its free areas stay valid and unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EXTENDED_SD_AID, LOCAL_SD_AID, installCommands, isValidStatusWord } from '@myna-ap/apdu';
import { parseFreeAreas } from '../src/freeArea/index.ts';
import { apAid, blankCard, install, openArea, specA, specC, specD, tx } from './freeAreaKit.ts';

const N = process.env.MYNA_SOAK === '1' ? 1_000_000 : 30_000;

/** xorshift32: reproducible from the printed seed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

test(`fuzz: ${N.toLocaleString('en')} random and mutated APDUs to the free areas`, async () => {
  const card = blankCard();
  const sd = await openArea(tx(card), 'extended');
  const a = specA(1);
  const d = specD(2);
  const c = specC(3);
  for (const s of [a, d, c]) assert.equal(await install(sd, s), 0x9000);
  // A guessed EXTERNAL AUTHENTICATE may count against a key set: that is not content.
  const content = () =>
    JSON.stringify(card.image.freeAreas, (k, v: unknown) =>
      k === 'failedAuthentications' ? undefined : v,
    );
  const before = content();
  const secrets = [a.userId, d.userId, ...(a.records ?? []), d.data!.subarray(0, 16)].map((b) =>
    Buffer.from(b),
  );
  // well-formed wrapped commands to mutate
  const s2 = await openArea(tx(card), 'local', { level: 0x33 });
  const seeds = installCommands(specD(9)).map((x) => s2.host.wrap(x));

  const seed = (Date.now() ^ 0x5eed) >>> 0;
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const byte = () => Math.floor(r() * 256);
  const targets = [LOCAL_SD_AID, EXTENDED_SD_AID, apAid(1), apAid(2), apAid(3)];
  const insList = [
    0x50, 0x82, 0xe6, 0xe2, 0xe4, 0xf2, 0xca, 0xb0, 0xb2, 0xdc, 0xd6, 0x20, 0xa4, 0x84,
  ];
  for (let i = 0; i < N; i++) {
    let apdu: Uint8Array;
    const k = r();
    if (k < 0.05) {
      const t = pick(targets);
      apdu = Uint8Array.of(0x00, 0xa4, 0x04, 0x0c, t.length, ...t);
    } else if (k < 0.06) {
      if (r() < 0.5) card.reset();
      else card.powerOff();
      continue;
    } else if (k < 0.3) {
      apdu = pick(seeds).slice();
      const flips = 1 + Math.floor(r() * 3);
      for (let f = 0; f < flips; f++)
        apdu[Math.floor(r() * apdu.length)]! ^= 1 << Math.floor(r() * 8);
    } else {
      const len = Math.floor(r() * 40);
      const body = Array.from({ length: len }, byte);
      const withLc = r() < 0.7 && len > 0 ? [len, ...body] : body;
      apdu = Uint8Array.of(
        pick([0x00, 0x04, 0x80, 0x84, byte()]),
        pick(insList),
        byte(),
        byte(),
        ...withLc,
      );
    }
    const res = card.transmit(apdu);
    assert.ok(res.length >= 2, `seed ${seed}: short response`);
    const sw = (res[res.length - 2]! << 8) | res[res.length - 1]!;
    assert.ok(
      isValidStatusWord(sw) && sw !== 0x6f00,
      `seed ${seed}: SW ${sw.toString(16)} to ${Buffer.from(apdu).toString('hex')}`,
    );
    if (res.length > 2) {
      const data = Buffer.from(res.subarray(0, res.length - 2));
      for (const s of secrets) {
        if (data.includes(s))
          assert.fail(
            `seed ${seed}: protected data in the answer to ${Buffer.from(apdu).toString('hex')}`,
          );
      }
    }
  }
  parseFreeAreas(card.image.freeAreas);
  assert.equal(content(), before, `seed ${seed}: free areas changed`);
});
