import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { CHALLENGE_TTL_MS } from '../src/index.ts';
import { ORIGIN, b64, makeCard, makeWorld } from './world.ts';

const w = await makeWorld();
const card = await makeCard(w);
const { secret } = await w.client({ clientId: 'library', sector: 'city-library' });
const { secret: otherSecret } = await w.client({
  clientId: 'gym',
  sector: 'city-gym',
  origins: ['https://gym.example.jp'],
});
let libraryToken = await w.token('library', secret);
let gymToken = await w.token('gym', otherSecret);

async function challenge(token = libraryToken, origin = ORIGIN) {
  const r = await w.app.inject({
    method: 'POST',
    url: '/v1/proof/challenges',
    headers: { authorization: `Bearer ${token}` },
    payload: { origin },
  });
  return r;
}

async function verify(
  body: { challenge: string; origin?: string; certificate?: Uint8Array; signature: Uint8Array },
  token = libraryToken,
) {
  return w.app.inject({
    method: 'POST',
    url: '/v1/proof/verify',
    headers: { authorization: `Bearer ${token}`, 'accept-language': 'en' },
    payload: {
      challenge: body.challenge,
      origin: body.origin ?? ORIGIN,
      certificate: b64(body.certificate ?? card.auth),
      signature: b64(body.signature),
    },
  });
}

async function proved(token = libraryToken, origin = ORIGIN) {
  const c = (await challenge(token, origin)).json().challenge as string;
  const r = await verify({ challenge: c, origin, signature: await card.sign(origin, c) }, token);
  assert.equal(r.statusCode, 200, r.body);
  return r.json();
}

test('a proof: challenge, PIN and card signature over hash(origin) ‖ hash(challenge) → the PPID', async () => {
  const c = await challenge();
  assert.equal(c.statusCode, 201, c.body);
  assert.equal(c.json().origin, ORIGIN);
  assert.ok(new Date(c.json().expiresAt).getTime() - Date.now() <= CHALLENGE_TTL_MS);
  const sig = await card.sign(ORIGIN, c.json().challenge);
  const r = await verify({ challenge: c.json().challenge, signature: sig });
  assert.equal(r.statusCode, 200, r.body);
  const body = r.json();
  assert.equal(body.identifiedBy, 'pin-signature');
  assert.equal(body.registered, true);
  assert.equal(body.validation.result.status, 'valid');
  assert.match(body.ppid, /^[A-Za-z0-9_-]{43}$/);
  const serial = new X509Certificate(card.auth).serialNumber;
  assert.ok(
    !JSON.stringify(body).toUpperCase().includes(serial.toUpperCase()),
    'no serial in the answer',
  );
  // the same holder again: the same PPID, no new registration
  const again = await proved();
  assert.equal(again.ppid, body.ppid);
  assert.equal(again.registered, false);
});

test('the same card at another service gets another PPID', async () => {
  const lib = await proved();
  const gym = await proved(gymToken, 'https://gym.example.jp');
  assert.notEqual(gym.ppid, lib.ppid);
});

test('a challenge is single-use: the replay is refused', async () => {
  const c = (await challenge()).json().challenge as string;
  const sig = await card.sign(ORIGIN, c);
  assert.equal((await verify({ challenge: c, signature: sig })).statusCode, 200);
  const replay = await verify({ challenge: c, signature: sig });
  assert.equal(replay.statusCode, 409);
  assert.equal(replay.json().code, 'CHALLENGE_USED');
  assert.ok(replay.json().text.ja.includes('使用済み'));
});

test('a challenge expires', async () => {
  const c = (await challenge()).json().challenge as string;
  const sig = await card.sign(ORIGIN, c);
  w.setClock(new Date(Date.now() + CHALLENGE_TTL_MS + 1000));
  try {
    const later = await w.token('library', secret); // the first token has expired too
    const r = await verify({ challenge: c, signature: sig }, later);
    assert.equal(r.statusCode, 410);
    assert.equal(r.json().code, 'CHALLENGE_EXPIRED');
  } finally {
    w.setClock(undefined);
    // issuing `later` swept the tokens expired by then, the first one among them
    libraryToken = await w.token('library', secret);
    gymToken = await w.token('gym', otherSecret);
  }
});

test('another client cannot use a library challenge, and an unknown one is unknown', async () => {
  const c = (await challenge()).json().challenge as string;
  const sig = await card.sign(ORIGIN, c);
  const r = await verify({ challenge: c, signature: sig }, gymToken);
  assert.equal(r.statusCode, 403);
  assert.equal(r.json().code, 'CHALLENGE_OTHER_CLIENT');
  // still usable by its own client: the other client's attempt did not burn it
  assert.equal((await verify({ challenge: c, signature: sig })).statusCode, 200);
  const unknown = await verify({ challenge: 'A'.repeat(43), signature: sig });
  assert.equal(unknown.json().code, 'CHALLENGE_UNKNOWN');
});

test('a signature made at another origin is useless here', async () => {
  // A phishing site relays our challenge; the holder's bridge signs for the phishing origin.
  const c = (await challenge()).json().challenge as string;
  const evil = 'https://library.example.lg.jp.evil.example';
  const sig = await card.sign(evil, c);
  const told = await verify({ challenge: c, origin: evil, signature: sig });
  assert.equal(told.statusCode, 400);
  assert.equal(told.json().code, 'ORIGIN_MISMATCH');
  // and lying about the origin does not help: the signature does not verify
  const c2 = (await challenge()).json().challenge as string;
  const lied = await verify({ challenge: c2, signature: await card.sign(evil, c2) });
  assert.equal(lied.json().code, 'PROOF_BAD_SIGNATURE');
});

test('challenges only for the origins registered to the client', async () => {
  const r = await challenge(libraryToken, 'https://gym.example.jp');
  assert.equal(r.statusCode, 403);
  assert.equal(r.json().code, 'ORIGIN_NOT_ALLOWED');
  const notOrigin = await challenge(libraryToken, `${ORIGIN}/path`);
  assert.equal(notOrigin.json().code, 'BAD_REQUEST');
});

test('forged signature, sign certificate, another card’s certificate, revoked certificate: refused', async () => {
  const c = (await challenge()).json().challenge as string;
  const sig = await card.sign(ORIGIN, c);
  const forged = Uint8Array.from(sig);
  forged[10]! ^= 0x40;
  assert.equal(
    (await verify({ challenge: c, signature: forged })).json().code,
    'PROOF_BAD_SIGNATURE',
  );

  const c2 = (await challenge()).json().challenge as string;
  const signCert = await card.signCertificate();
  const r2 = await verify({
    challenge: c2,
    certificate: signCert,
    signature: await card.sign(ORIGIN, c2),
  });
  assert.equal(r2.json().code, 'CERT_NOT_AUTH');

  const other = await makeCard(w, { fresh: true });
  const c3 = (await challenge()).json().challenge as string;
  const r3 = await verify({
    challenge: c3,
    certificate: other.auth,
    signature: await card.sign(ORIGIN, c3),
  });
  assert.equal(r3.json().code, 'PROOF_BAD_SIGNATURE');

  await w.issuer.revoke(new X509Certificate(other.auth).serialNumber, 'lost');
  const c4 = (await challenge()).json().challenge as string;
  const r4 = await verify({
    challenge: c4,
    certificate: other.auth,
    signature: await other.sign(ORIGIN, c4),
  });
  assert.equal(r4.statusCode, 400);
  assert.equal(r4.json().code, 'CERT_INVALID');
  assert.equal(r4.json().detail.validation.result.status, 'revoked');
  assert.match(r4.json().message, /revoked/);
});

test('a wrong PIN never reaches the signature (the card says how many tries are left)', async () => {
  const c = (await challenge()).json().challenge as string;
  await assert.rejects(card.sign(ORIGIN, c, '9999'), { code: 'PIN_WRONG' });
  assert.equal(await card.myna.pinTriesLeft('auth'), 2);
  // the right PIN resets the counter
  assert.equal(
    (await verify({ challenge: c, signature: await card.sign(ORIGIN, c) })).statusCode,
    200,
  );
  assert.equal(await card.myna.pinTriesLeft('auth'), 3);
});
