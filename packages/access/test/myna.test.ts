import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  X509Certificate,
  createPublicKey,
  createVerify,
  publicDecrypt,
  constants,
} from 'node:crypto';
import { InProcessChannel, TransportError, type CardChannel } from '@myna-ap/transport';
import { Card, emptyCardImage } from '@myna-ap/card';
import { AccessError, MynaClient, digestInfoOf } from '../src/index.ts';
import { HOLDER, PIN, SIGN_PASSWORD, freshCard, issued } from './fixture.ts';

const code = (e: unknown) =>
  e instanceof AccessError || e instanceof TransportError ? e.code : String(e);

async function client(opts: { maxResponseLength?: number } = {}) {
  const card = await freshCard();
  const channel = new InProcessChannel(card, opts);
  return { card, channel, c: new MynaClient(channel) };
}

test('reads the auth certificate in 3 APDUs with extended Le, and the CA certificates', async () => {
  const { image } = await issued();
  const { c } = await client();
  const auth = await c.readCertificate('auth');
  assert.equal(Buffer.from(auth).toString('hex'), image.jpki.files['000A']);
  assert.equal(c.apduCount, 3); // SELECT AP, SELECT EF, READ BINARY
  new X509Certificate(auth); // parses
  const authCa = await c.readCertificate('authCa');
  assert.equal(Buffer.from(authCa).toString('hex'), image.jpki.files['000B']);
  assert.equal(c.apduCount, 5, 'the AP stays selected');
  assert.equal(
    Buffer.from(await c.readCertificate('signCa')).toString('hex'),
    image.jpki.files['0002'],
  );
});

test('with short APDUs only, reads in 256-byte chunks', async () => {
  const { c } = await client({ maxResponseLength: 256 });
  const auth = await c.readCertificate('auth');
  assert.equal(c.apduCount, 2 + Math.ceil(auth.length / 256));
});

test('falls back to short Le when the card refuses extended length', async () => {
  const card = await freshCard();
  // A card without extended-length support answers 67 00 to an extended APDU.
  const shortOnly: CardChannel = {
    atr: card.atr,
    maxResponseLength: 65536,
    transmit: async (apdu) =>
      apdu.length >= 7 && apdu[4] === 0 ? Uint8Array.of(0x67, 0) : card.transmit(apdu),
    reset: async () => card.reset(),
    close: async () => undefined,
    on: () => () => undefined,
  };
  const c = new MynaClient(shortOnly);
  const auth = await c.readCertificate('auth');
  assert.equal(Buffer.from(auth).toString('hex'), (await issued()).image.jpki.files['000A']);
  assert.equal(c.apduCount, 3 + 1 + Math.ceil(auth.length / 256) - 1);
});

test('the sign certificate needs the sign password', async () => {
  const { c } = await client();
  assert.equal(code(await c.readCertificate('sign').catch((e) => e)), 'PIN_REQUIRED');
  await c.verifyPin('sign', SIGN_PASSWORD);
  const sign = await c.readCertificate('sign');
  assert.equal(Buffer.from(sign).toString('hex'), (await issued()).image.jpki.files['0001']);
});

test('token info', async () => {
  const { c } = await client();
  assert.equal(await c.readToken(), 'JPKIAPICCTOKEN2');
});

test('wrong PINs count down, then lock; an empty VERIFY spends no try', async () => {
  const { c } = await client();
  assert.equal(await c.pinTriesLeft('auth'), 3);
  assert.equal(await c.pinTriesLeft('auth'), 3);
  let e = await c.verifyPin('auth', '9999').catch((x) => x);
  assert.equal(code(e), 'PIN_WRONG');
  assert.equal((e as AccessError).triesLeft, 2);
  assert.match((e as AccessError).text.ja, /あと2回/);
  await c.verifyPin('auth', PIN); // success resets the counter
  assert.equal(await c.pinTriesLeft('auth'), 3);
  for (const left of [2, 1]) {
    e = await c.verifyPin('auth', '0000').catch((x) => x);
    assert.equal((e as AccessError).triesLeft, left);
  }
  e = await c.verifyPin('auth', '0000').catch((x) => x);
  assert.equal(code(e), 'PIN_LOCKED');
  assert.equal(await c.pinTriesLeft('auth'), 0);
  // Locked stays locked, even for the right PIN.
  assert.equal(code(await c.verifyPin('auth', PIN).catch((x) => x)), 'PIN_LOCKED');
  // The sign password has its own counter (5 tries).
  assert.equal(await c.pinTriesLeft('sign'), 5);
});

test('a PIN of the wrong shape never reaches the card', async () => {
  const { c } = await client();
  for (const [kind, pin] of [
    ['auth', '123'],
    ['auth', '12345'],
    ['auth', 'abcd'],
    ['sign', 'abc123'],
    ['sign', 'A1'],
    ['sign', 'A'.repeat(17)],
    ['text', ''],
  ] as const) {
    assert.equal(
      code(await c.verifyPin(kind, pin).catch((e) => e)),
      'PIN_FORMAT',
      `${kind} ${pin}`,
    );
  }
  assert.equal(c.apduCount, 0);
  assert.equal(await c.pinTriesLeft('auth'), 3);
});

test('signs with the auth key; the signature verifies against the certificate', async () => {
  const { c } = await client();
  const data = new TextEncoder().encode('ログイン challenge 42');
  assert.equal(
    code(await c.sign('auth', { hash: 'sha256', data }).catch((e) => e)),
    'PIN_REQUIRED',
  );
  await c.verifyPin('auth', PIN);
  const sig = await c.sign('auth', { hash: 'sha256', data });
  assert.equal(sig.length, 256);
  const key = new X509Certificate(await c.readCertificate('auth')).publicKey;
  assert.ok(createVerify('sha256').update(data).verify(key, sig));
  // A DigestInfo built by the caller gives the same (deterministic) signature.
  const again = await c.sign('auth', digestInfoOf('sha256', data));
  assert.deepEqual(again, sig);
  const sha1 = await c.sign('auth', { hash: 'sha1', data });
  assert.ok(createVerify('sha1').update(data).verify(key, sha1));
  // The sign key still needs the sign password.
  assert.equal(
    code(await c.sign('sign', { hash: 'sha256', data }).catch((e) => e)),
    'PIN_REQUIRED',
  );
});

test('signs with the sign key after the sign password', async () => {
  const { c } = await client();
  await c.verifyPin('sign', SIGN_PASSWORD);
  const data = new TextEncoder().encode('契約書');
  const sig = await c.sign('sign', { hash: 'sha384', data });
  const cert = new X509Certificate(await c.readCertificate('sign'));
  const recovered = publicDecrypt(
    {
      key: createPublicKey(cert.publicKey.export({ format: 'pem', type: 'spki' })),
      padding: constants.RSA_PKCS1_PADDING,
    },
    sig,
  );
  assert.deepEqual(new Uint8Array(recovered), digestInfoOf('sha384', data));
});

test('reads the 4 basic info with the text AP PIN', async () => {
  const { c } = await client();
  assert.deepEqual(await c.readBasicInfo(PIN), HOLDER);
  assert.equal(c.apduCount, 5); // SELECT AP, SELECT PIN EF, VERIFY, SELECT EF, READ
  const { c: c2 } = await client();
  const e = await c2.readBasicInfo('0000').catch((x) => x);
  assert.equal(code(e), 'PIN_WRONG');
  assert.equal(await c2.pinTriesLeft('text'), 2);
  assert.equal(await c2.pinTriesLeft('auth'), 3, 'a separate counter');
});

test('a card without the JPKI AP: NOT_MYNA_CARD', async () => {
  const c = new MynaClient(new InProcessChannel(new Card(emptyCardImage())));
  const e = await c.readCertificate('auth').catch((x) => x);
  assert.equal(code(e), 'NOT_MYNA_CARD');
  assert.match((e as AccessError).text.ja, /マイナンバーカード/);
});

test('card pulled away mid-session: CARD_REMOVED, then a clean restart on reinsertion', async () => {
  const { c, channel, card } = await client();
  await c.verifyPin('auth', PIN);
  channel.remove();
  assert.equal(code(await c.readCertificate('auth').catch((e) => e)), 'CARD_REMOVED');
  channel.insert(card);
  // The card lost power: the PIN must be verified again, and the client re-selects.
  assert.equal(
    code(await c.sign('auth', { hash: 'sha256', data: new Uint8Array(1) }).catch((e) => e)),
    'PIN_REQUIRED',
  );
  await c.verifyPin('auth', PIN);
  assert.equal((await c.sign('auth', { hash: 'sha256', data: new Uint8Array(1) })).length, 256);
});

test('readMyNumberHash: the SHA-256 the card keeps, after the text PIN; an EF without it is BAD_DATA', async () => {
  const { createHash } = await import('node:crypto');
  const { myNumberEf, textSignatureEf, textSignatureEfOverHash } = await import('@myna-ap/card');
  const { secrets } = await issued();
  const card = await freshCard();
  const c = new MynaClient(new InProcessChannel(card));
  const hash = await c.readMyNumberHash(PIN);
  const expected = createHash('sha256').update(myNumberEf(secrets.myNumber)).digest();
  assert.deepEqual(Buffer.from(hash), expected);
  await assert.rejects(
    new MynaClient(new InProcessChannel(await freshCard())).readMyNumberHash('0000'),
    (e) => e instanceof AccessError && e.code === 'PIN_WRONG',
  );
  // the issuer's EF over the hash is the EF over the number (PKCS#1 v1.5 is deterministic)
  const info = Buffer.from(card.image.text.files['0002']!, 'hex');
  const { cardIssuer } = await import('./fixture.ts');
  assert.deepEqual(
    textSignatureEfOverHash(hash, info, cardIssuer),
    textSignatureEf(myNumberEf(secrets.myNumber), info, cardIssuer),
  );
  assert.throws(() => textSignatureEfOverHash(hash.subarray(1), info, cardIssuer), RangeError);
  // EF 0003 without DF 31
  card.update((img) => ({
    ...img,
    text: { ...img.text, files: { ...img.text.files, '0003': 'ff3003df3300' } },
  }));
  await assert.rejects(
    new MynaClient(new InProcessChannel(card)).readMyNumberHash(PIN),
    (e) => e instanceof AccessError && e.code === 'BAD_DATA',
  );
});
