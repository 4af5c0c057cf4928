/**
 * Bad input to the issuer SD: random APDUs, and mutated wrapped commands of real
 * issuer sessions (a bit flipped anywhere). The card never fails internally
 * (6F 00), always answers a valid status word, never shows a key or the My
 * Number, and the fixed APs stay exactly as they were: without the issuer keys
 * nothing changes them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ISSUER_SD_AID,
  concat,
  encodeCommand,
  encodeIssuerItem,
  generateKeyPairCommand,
  isValidStatusWord,
  issuerStoreDataCommands,
  seededRandom,
  unblockSecurityDomainCommand,
  EXTENDED_SD_AID,
  type SecureSession,
} from '@myna-ap/apdu';
import { AID, JPKI_EF } from '@myna-ap/profile';
import { fresh, issued } from './fixture.ts';
import { fixedState, openIssuer, pinItem, txOf } from './issuerKit.ts';

const N = process.env.MYNA_SOAK === '1' ? 500_000 : 20_000;

test(`fuzz: ${N.toLocaleString('en')} random and mutated APDUs to the issuer SD`, async () => {
  const { image, secrets } = await issued();
  const card = await fresh();
  const before = fixedState(card);
  const seed = Number(process.env.MYNA_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const rand = seededRandom(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const tail = (h: string | undefined) => Buffer.from(h ?? '', 'hex').subarray(-32);
  const needles = [
    tail(image.jpki.files['0017']),
    tail(image.jpki.files['001A']),
    tail(image.visual.files['0010']),
    Buffer.from(secrets.myNumber),
  ];
  // Wrapped commands a real session would send; every one refused as it stands
  // (a PIN against the rules) or harmless (key generation, an unblock).
  const plain = [
    ...issuerStoreDataCommands(
      concat(encodeIssuerItem(pinItem(AID.jpki, JPKI_EF.authPin, '12a4'))),
    ),
    generateKeyPairCommand(),
    unblockSecurityDomainCommand(EXTENDED_SD_AID),
  ];
  let session: SecureSession | undefined;
  const sel = Uint8Array.of(0x00, 0xa4, 0x04, 0x0c, ISSUER_SD_AID.length, ...ISSUER_SD_AID);
  for (let i = 0; i < N; i++) {
    const k = rand();
    let apdu: Uint8Array;
    if (k < 0.01) {
      session = await openIssuer(txOf(card)).catch(() => undefined);
      continue;
    } else if (k < 0.03) {
      apdu = sel;
    } else if (k < 0.04) {
      if (rand() < 0.5) card.reset();
      else card.powerOff();
      continue;
    } else if (k < 0.5 && session?.host.isOpen) {
      const wrapped = session.host.wrapCommand(plain[int(plain.length)]!);
      apdu = encodeCommand(wrapped);
      // flip one bit anywhere but in Le (outside the MAC, as in GP)
      const leBytes = wrapped.ne === undefined ? 0 : wrapped.extended ? 2 : 1;
      const macEnd = apdu.length - leBytes;
      apdu[int(macEnd)]! ^= 1 << int(8);
    } else {
      const len = int(48);
      const body = Array.from({ length: len }, () => int(256));
      apdu = Uint8Array.of(
        [0x00, 0x04, 0x80, 0x84][int(4)]!,
        [0x46, 0xe2, 0xf0, 0x50, 0x82, 0x2c, 0x24, 0xd6, 0xca][int(9)]!,
        int(256),
        int(256),
        ...(len > 0 && rand() < 0.7 ? [len, ...body] : body),
      );
    }
    const res = card.transmit(apdu);
    const sw = (res[res.length - 2]! << 8) | res[res.length - 1]!;
    assert.ok(
      isValidStatusWord(sw) && sw !== 0x6f00,
      `seed ${seed}: SW ${sw.toString(16)} to ${Buffer.from(apdu).toString('hex')}`,
    );
    const data = Buffer.from(res.subarray(0, -2));
    for (const s of needles) {
      if (data.includes(s))
        assert.fail(`seed ${seed}: secret in the answer to ${Buffer.from(apdu).toString('hex')}`);
    }
  }
  assert.equal(fixedState(card), before, `seed ${seed}: a fixed AP changed`);
});
