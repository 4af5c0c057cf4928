import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import {
  HolderKeys,
  PpidSecrets,
  StaticLinks,
  certificateId,
  MAX_LINK_STEPS,
} from '../src/index.ts';
import { ORIGIN, b64, makeCard, makeWorld } from './world.ts';

const links = new StaticLinks();
const w = await makeWorld({ links });
const oldCard = await makeCard(w);
const { secret } = await w.client({ clientId: 'library', sector: 'city-library' });
const { secret: secret2 } = await w.client({ clientId: 'library-kiosk', sector: 'city-library' });
const { secret: gymSecret } = await w.client({ clientId: 'gym', sector: 'city-gym' });

async function prove(card: Awaited<ReturnType<typeof makeCard>>, clientId: string, s: string) {
  const token = await w.token(clientId, s);
  const auth = { authorization: `Bearer ${token}` };
  const c = await w.app.inject({
    method: 'POST',
    url: '/v1/proof/challenges',
    headers: auth,
    payload: { origin: ORIGIN },
  });
  const challenge = c.json().challenge as string;
  const r = await w.app.inject({
    method: 'POST',
    url: '/v1/proof/verify',
    headers: auth,
    payload: {
      challenge,
      origin: ORIGIN,
      certificate: b64(card.auth),
      signature: b64(await card.sign(ORIGIN, challenge)),
    },
  });
  assert.equal(r.statusCode, 200, r.body);
  return r.json() as { ppid: string; registered: boolean };
}

async function ppidOf(cert: Uint8Array, clientId: string, s: string) {
  const token = await w.token(clientId, s, 'ppid');
  return w.app.inject({
    method: 'POST',
    url: '/v1/ppid',
    headers: { authorization: `Bearer ${token}` },
    payload: { certificate: b64(cert) },
  });
}

test('one PPID per sector: clients of one service share it, other services get another', async () => {
  const first = await prove(oldCard, 'library', secret);
  assert.equal(first.registered, true);
  assert.equal((await prove(oldCard, 'library-kiosk', secret2)).ppid, first.ppid);
  assert.notEqual((await prove(oldCard, 'gym', gymSecret)).ppid, first.ppid);
});

test('類型②: a registered holder’s PPID from the certificate alone; an unregistered one is refused', async () => {
  const r = await ppidOf(oldCard.auth, 'library', secret);
  assert.equal(r.statusCode, 200, r.body);
  assert.equal(r.json().ppid, (await prove(oldCard, 'library', secret)).ppid);
  assert.equal(r.json().identifiedBy, 'certificate');
  const stranger = await makeCard(w);
  const no = await ppidOf(stranger.auth, 'library', secret);
  assert.equal(no.statusCode, 409);
  assert.equal(no.json().code, 'HOLDER_NOT_LINKED');
});

test('card renewal: with the issuer’s old→new link the PPID stays; without it the new card is a stranger', async () => {
  const before = await prove(oldCard, 'library', secret);
  const renewed = await makeCard(w, { fresh: true });
  links.add(certificateId(oldCard.auth), certificateId(renewed.auth));
  const after = await prove(renewed, 'library', secret);
  assert.equal(after.ppid, before.ppid);
  assert.equal(after.registered, false);
  // the link was recorded: the next look-up needs no link service
  const rows = await w.db.query<{ linked_via: string }>(
    'SELECT linked_via FROM idp_holder_certs ORDER BY linked_at',
  );
  assert.ok(rows.rows.some((r) => r.linked_via === 'issuer-link'));
  // renewed again (two hops from the first card)
  const third = await makeCard(w);
  links.add(certificateId(renewed.auth), certificateId(third.auth));
  assert.equal(
    (await ppidOf(third.auth, 'gym', gymSecret)).json().ppid,
    (await prove(oldCard, 'gym', gymSecret)).ppid,
  );
  const unlinked = await makeCard(w);
  assert.equal((await ppidOf(unlinked.auth, 'library', secret)).json().code, 'HOLDER_NOT_LINKED');
});

test('the database holds no certificate serial, and no PPID', async () => {
  const dump = JSON.stringify(
    [
      ...(await w.db.query('SELECT * FROM idp_holder_certs')).rows,
      ...(await w.db.query('SELECT * FROM idp_holders')).rows,
    ],
    (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v),
  ).toUpperCase();
  const serial = new X509Certificate(oldCard.auth).serialNumber.toUpperCase();
  assert.ok(!dump.includes(serial));
  const ppid = (await prove(oldCard, 'library', secret)).ppid;
  assert.ok(!dump.includes(Buffer.from(ppid, 'base64url').toString('hex').toUpperCase()));
});

test('PPIDs: stable for one secret, others under another secret; a link loop ends', async () => {
  const holder = randomBytes(32);
  const a = new PpidSecrets(Buffer.alloc(32, 1));
  assert.equal(a.ppid('s', holder), new PpidSecrets(Buffer.alloc(32, 1)).ppid('s', holder));
  assert.notEqual(a.ppid('s', holder), new PpidSecrets(Buffer.alloc(32, 2)).ppid('s', holder));
  assert.notEqual(a.ppid('s', holder), a.ppid('t', holder));
  assert.throws(() => new PpidSecrets(Buffer.alloc(16)), /32 bytes/);
  const x = { issuer: 'CN=x', serial: '01' };
  const y = { issuer: 'CN=x', serial: '02' };
  let asked = 0;
  const loop = new HolderKeys(a, {
    previousOf: async (id) => {
      asked++;
      return id.serial === '01' ? y : x;
    },
  });
  assert.equal(await loop.holderOf(w.db, x), undefined);
  assert.equal(asked, MAX_LINK_STEPS + 1);
});
