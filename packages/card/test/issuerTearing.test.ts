/**
 * Anti-tearing of the issuer operations: the reader is gone after each APDU of a
 * PIN reset, a 券面 rewrite and a sign certificate replacement; the card, saved
 * and reloaded, is wholly old or wholly new — new only once the last APDU is in.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import {
  concat,
  encodeIssuerItem,
  generateKeyPairCommand,
  issuerStoreDataCommands,
  parseTlv,
  type IssuerItem,
  type Transmit,
} from '@myna-ap/apdu';
import { AID, JPKI_EF } from '@myna-ap/profile';
import { Card, parseCardImageJson, readEf, serializeCardImage } from '@myna-ap/card';
import { fresh, testKeys, testPki, HOLDER } from './fixture.ts';
import {
  fixedState,
  fixedStateNoSalt,
  movedFace,
  openIssuer,
  pinItem,
  update,
} from './issuerKit.ts';

class Cut extends Error {}

function cutAfter(card: Card, n: number): Transmit {
  let sent = 0;
  return (b) => {
    if (sent++ >= n) throw new Cut();
    return card.transmit(b);
  };
}

const reloaded = (card: Card) => Card.fromImage(parseCardImageJson(serializeCardImage(card.image)));

/** Runs `op` cut after 0..n APDUs; `check` gets the reloaded card and whether all n went through. */
async function everyCut(
  base: Card,
  n: number,
  op: (t: Transmit) => Promise<unknown>,
  check: (after: Card, whole: boolean, k: number) => void,
): Promise<void> {
  for (let k = 0; k <= n; k++) {
    const card = reloaded(base);
    try {
      await op(cutAfter(card, k));
    } catch (e) {
      assert.ok(e instanceof Cut, `cut after ${k}: ${String(e)}`);
    }
    card.powerOff();
    check(reloaded(card), k >= n, k);
  }
}

test('PIN reset cut at every APDU: locked with the old PIN, or the new PIN with all tries', async () => {
  const base = await fresh();
  base.update((img) => ({
    ...img,
    jpki: {
      ...img.jpki,
      pins: { ...img.jpki.pins, '0018': { ...img.jpki.pins['0018']!, triesLeft: 0 } },
    },
  }));
  const old = fixedState(base);
  const run = async (t: Transmit) =>
    update(await openIssuer(t), [pinItem(AID.jpki, JPKI_EF.authPin, '5678')]);
  const n = 4; // SELECT, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, STORE DATA
  await everyCut(base, n, run, (after, whole, k) => {
    if (!whole) assert.equal(fixedState(after), old, `cut after ${k}: old`);
    else assert.equal(after.image.jpki.pins['0018']!.triesLeft, 3);
  });
});

test('券面 rewrite in 64-byte blocks cut at every APDU: old face or new face', async () => {
  const base = await fresh();
  const old = fixedState(base);
  const items = movedFace();
  const blocks = issuerStoreDataCommands(concat(...items.map(encodeIssuerItem)), 64).length;
  const n = 3 + blocks;
  assert.ok(n > 20, `${n} APDUs`);
  const done = reloaded(base);
  assert.equal(await update(await openIssuer((b) => done.transmit(b)), items, 64), 0x9000);
  const neu = fixedStateNoSalt(done);
  await everyCut(
    base,
    n,
    async (t) => update(await openIssuer(t), items, 64),
    (after, whole, k) => {
      if (!whole) assert.equal(fixedState(after), old, `cut after ${k} of ${n}: old`);
      else assert.equal(fixedStateNoSalt(after), neu, 'new');
    },
  );
});

test('sign certificate replacement cut at every APDU: old key and certificate, or new ones that match', async () => {
  const base = await fresh();
  const old = fixedState(base);
  const oldKey = base.image.jpki.files['001A'];
  const pki = await testPki();
  const { auth } = await testKeys();
  const run = async (t: Transmit) => {
    const s = await openIssuer(t);
    const g = await s.send(generateKeyPairCommand());
    const node = parseTlv(g.data);
    const part = (tag: number) =>
      Buffer.from(node.children!.find((c) => c.tag === tag)!.value).toString('base64url');
    const pub = createPublicKey({
      key: { kty: 'RSA', n: part(0x81), e: part(0x82) },
      format: 'jwk',
    });
    const certs = await pki.issueCardCertificates({
      authPublicKey: createPublicKey(auth),
      signPublicKey: pub,
      holder: HOLDER,
    });
    const items: IssuerItem[] = [
      { kind: 'key', aid: AID.jpki, fid: JPKI_EF.signKey },
      { kind: 'ef', aid: AID.jpki, fid: JPKI_EF.signCert, content: certs.sign },
    ];
    return update(s, items, 200);
  };
  // SELECT, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, GENERATE, then the blocks
  const probe = reloaded(base);
  let count = 0;
  await run((b) => {
    count++;
    return probe.transmit(b);
  });
  assert.ok(count >= 6, `${count} APDUs`);
  await everyCut(base, count, run, (after, whole, k) => {
    if (!whole) {
      assert.equal(fixedState(after), old, `cut after ${k} of ${count}: old`);
      return;
    }
    assert.notEqual(after.image.jpki.files['001A'], oldKey);
    const cert = new X509Certificate(Buffer.from(readEf(after.image, 'jpki', JPKI_EF.signCert)!));
    const key = createPublicKey(
      createPrivateKey({
        key: Buffer.from(readEf(after.image, 'jpki', JPKI_EF.signKey)!),
        format: 'der',
        type: 'pkcs8',
      }),
    );
    assert.equal(
      cert.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'),
      key.export({ format: 'der', type: 'spki' }).toString('hex'),
    );
  });
});
