/**
 * 記載事項変更 at the counter (changeCardInfo, `myna card change-address`): the
 * 4 info rewritten on the text and visual APs, a new sign key and certificate
 * on the card, the old certificate revoked (info-change) only once the card
 * holds the new one, the auth certificate kept. A card pulled after every APDU
 * of the issuer update is wholly old (old certificate still valid) or wholly
 * new; wrong issuer keys, a wrong sign password, nothing to change, a 4 info too
 * long: clear errors, nothing changed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { TEST_ISSUER_MASTER_KEYS } from '@myna-ap/apdu';
import { AccessError, MynaClient, parseCardFace } from '@myna-ap/access';
import {
  Card,
  createCard,
  myNumberEf,
  parseCardImageJson,
  serializeCardImage,
} from '@myna-ap/card';
import { JpkiIssuer, PkiError, normalizeSerial, readHolderInfo } from '@myna-ap/pki';
import { InProcessChannel, TransportError, cardRemoved } from '@myna-ap/transport';
import { HOLDER, PIN, SIGN_PASSWORD, cardIssuer, cardKeys } from '@myna-ap/access/testing';
import { CliError } from '../src/command.ts';
import { changeCardInfo, changeSecrets, changedFields } from '../src/commands/changeAddress.ts';

const MOVED = '北海道札幌市中央区北1条西2丁目';

/** The reader gone after `n` APDUs (`Infinity`: never), counting what went through. */
class CutChannel extends InProcessChannel {
  sent = 0;
  constructor(
    card: Card,
    readonly n = Infinity,
  ) {
    super(card);
  }
  override transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (this.sent >= this.n) return Promise.reject(cardRemoved());
    this.sent++;
    return super.transmit(apdu);
  }
}

/** A card of its own and the JPKI issuer that issued it: revocations stay per test. */
async function ownCard() {
  const jpki = await JpkiIssuer.createInMemory();
  const made = await createCard({
    holder: HOLDER,
    certificates: jpki,
    keys: await cardKeys(),
    cardIssuer,
    pin: PIN,
    signPassword: SIGN_PASSWORD,
  });
  const card = Card.fromImage(made.image);
  const options = (over: Partial<Parameters<typeof changeCardInfo>[1]> = {}) => ({
    birth: HOLDER.birthDate,
    address: MOVED,
    secrets: { securityCode: made.secrets.securityCode, textPin: PIN, signPassword: SIGN_PASSWORD },
    masters: TEST_ISSUER_MASTER_KEYS,
    cardIssuer,
    issuerKey: cardIssuer.publicKey,
    jpki,
    ...over,
  });
  return { card, jpki, made, options };
}

const reloaded = (card: Card) => Card.fromImage(parseCardImageJson(serializeCardImage(card.image)));
/** What 記載事項変更 may change: the JPKI AP's files and the text and visual APs. */
const state = (card: Card) =>
  JSON.stringify([card.image.jpki.files, card.image.text.files, card.image.visual.files]);
const serialOf = (der: Uint8Array) =>
  normalizeSerial(new X509Certificate(Buffer.from(der)).serialNumber)!;

async function signCertOn(card: Card): Promise<Uint8Array> {
  const c = new MynaClient(new InProcessChannel(card));
  await c.verifyPin('sign', SIGN_PASSWORD);
  return c.readCertificate('sign');
}

test('記載事項変更: 4 info and face rewritten, new sign certificate, old one revoked, auth kept', async () => {
  const { card, jpki, made, options } = await ownCard();
  const oldAuth = card.image.jpki.files['000A'];
  const oldSign = serialOf(await signCertOn(card));
  const done = await changeCardInfo(new InProcessChannel(card), options());
  assert.deepEqual(done.changed, ['address']);
  assert.equal(done.oldSignSerial, oldSign);
  assert.equal(done.usesTestKeys, true);
  const client = new MynaClient(new InProcessChannel(card));
  const info = await client.readBasicInfo(PIN);
  assert.deepEqual(info, { ...HOLDER, address: MOVED });
  // the visual AP's address image is redrawn; the photo, birth date and expiry stay
  const before = parseCardFace(Buffer.from(made.image.visual.files['0002']!, 'hex'));
  const after = parseCardFace(Buffer.from(card.image.visual.files['0002']!, 'hex'));
  assert.notDeepEqual(after.addressImage, before.addressImage);
  assert.deepEqual(after.nameImage, before.nameImage);
  assert.deepEqual(after.photo, before.photo);
  assert.equal(after.expiry, before.expiry);
  const cert = await signCertOn(card);
  assert.equal(serialOf(cert), done.newSignSerial);
  assert.notEqual(done.newSignSerial, oldSign);
  assert.equal(readHolderInfo(cert)?.address, MOVED, 'the new certificate carries the new 4 info');
  assert.equal(jpki.revocation(oldSign)?.reason, 'info-change');
  assert.equal(jpki.revocation(done.newSignSerial), undefined);
  assert.equal(card.image.jpki.files['000A'], oldAuth, 'the auth certificate stays');
  // the issuer's new text signature still covers the same My Number (hash unchanged)
  const c2 = new MynaClient(new InProcessChannel(card));
  assert.deepEqual(
    Buffer.from(await c2.readMyNumberHash(PIN)),
    createHash('sha256').update(myNumberEf(made.secrets.myNumber)).digest(),
  );
});

test('a card pulled after every APDU of the issuer update: wholly old (old certificate valid) or wholly new', async () => {
  const { card: base, jpki, options } = await ownCard();
  const old = state(base);
  const oldSign = serialOf(await signCertOn(base));
  // Where the issuer update begins: a JPKI issuer that never issued this card's
  // certificate refuses to replace it, right after the card made its new key.
  const probe = new CutChannel(reloaded(base));
  await assert.rejects(
    changeCardInfo(probe, options({ jpki: await JpkiIssuer.createInMemory() })),
    (e) => e instanceof PkiError && e.code === 'PKI_BAD_REQUEST',
  );
  // SELECT issuer SD, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, GENERATE KEY PAIR
  const update = probe.sent - 4;
  assert.ok(update > 4, `the holder's reads come first (${update} APDUs)`);
  const cuts = [0, Math.floor(update / 2)];
  for (let i = 0; ; i++) {
    const k = i < cuts.length ? cuts[i]! : update + (i - cuts.length);
    const card = reloaded(base);
    const ch = new CutChannel(card, k);
    let whole = false;
    try {
      await changeCardInfo(ch, options());
      whole = true;
    } catch (e) {
      assert.ok(
        e instanceof TransportError && e.code === 'CARD_REMOVED',
        `cut after ${k}: ${String(e)}`,
      );
    }
    card.powerOff();
    const after = reloaded(card);
    if (whole) {
      // the last run: every APDU went through
      assert.notEqual(state(after), old);
      assert.equal(
        (await new MynaClient(new InProcessChannel(after)).readBasicInfo(PIN)).address,
        MOVED,
      );
      assert.equal(jpki.revocation(oldSign)?.reason, 'info-change');
      break;
    }
    assert.equal(state(after), old, `cut after ${k}: wholly old`);
    assert.equal(
      jpki.revocation(oldSign),
      undefined,
      `cut after ${k}: old certificate still valid`,
    );
  }
});

test('wrong issuer keys: ISSUER_KEYS_REJECTED before any certificate is issued; nothing changed', async () => {
  const { card, jpki, options } = await ownCard();
  const old = state(card);
  const oldSign = serialOf(await signCertOn(card));
  const other = {
    enc: new Uint8Array(randomBytes(16)),
    mac: new Uint8Array(randomBytes(16)),
    dek: new Uint8Array(randomBytes(16)),
  };
  let issuedAny = false;
  const watched = Object.assign(Object.create(jpki) as JpkiIssuer, {
    issueSignCertificate: (...a: Parameters<JpkiIssuer['issueSignCertificate']>) => {
      issuedAny = true;
      return jpki.issueSignCertificate(...a);
    },
  });
  await assert.rejects(
    changeCardInfo(new InProcessChannel(card), options({ masters: other, jpki: watched })),
    (e) => e instanceof AccessError && e.code === 'ISSUER_KEYS_REJECTED',
  );
  assert.equal(issuedAny, false, 'no sign certificate issued for wrong keys');
  assert.equal(state(card), old);
  assert.equal(jpki.revocation(oldSign), undefined);
});

test('a wrong sign password, nothing to change, a 4 info too long: refused, nothing changed', async () => {
  const { card, jpki, options } = await ownCard();
  const old = state(card);
  const oldSign = serialOf(await signCertOn(card));
  const base = options();
  await assert.rejects(
    changeCardInfo(
      new InProcessChannel(card),
      options({ secrets: { ...base.secrets, signPassword: 'WRONG1' } }),
    ),
    (e) => e instanceof AccessError && e.code === 'PIN_WRONG',
  );
  await assert.rejects(
    changeCardInfo(new InProcessChannel(card), options({ address: HOLDER.address })),
    (e) => e instanceof CliError && /nothing to change/.test(e.message),
  );
  await assert.rejects(
    changeCardInfo(new InProcessChannel(card), options({ address: '東'.repeat(400) })),
    (e) => (e as { code?: string }).code === 'BASIC_INFO_TOO_LONG',
  );
  assert.equal(state(card), old);
  assert.equal(jpki.revocation(oldSign), undefined);
});

test('what changed, and the holder secrets never from a flag', () => {
  assert.deepEqual(changedFields(HOLDER, { ...HOLDER, address: MOVED }), ['address']);
  assert.deepEqual(changedFields(HOLDER, { ...HOLDER, name: '番号 花子', address: MOVED }), [
    'name',
    'address',
  ]);
  assert.deepEqual(changedFields(HOLDER, HOLDER), []);
  assert.deepEqual(changeSecrets({ stdin: true, read: () => '123456\n1234\nABC123\n' }), {
    securityCode: '123456',
    textPin: '1234',
    signPassword: 'ABC123',
  });
  assert.throws(
    () => changeSecrets({ stdin: true, read: () => '123456\n1234\n' }),
    (e) => e instanceof CliError && /line 3/.test(e.message),
  );
  const saved = process.env.MYNA_TEXT_PIN;
  delete process.env.MYNA_TEXT_PIN;
  process.env.MYNA_SECURITY_CODE = '123456';
  try {
    assert.throws(
      () => changeSecrets({ stdin: false }),
      (e) => e instanceof CliError && /MYNA_TEXT_PIN/.test(e.message),
    );
  } finally {
    delete process.env.MYNA_SECURITY_CODE;
    if (saved !== undefined) process.env.MYNA_TEXT_PIN = saved;
  }
});
