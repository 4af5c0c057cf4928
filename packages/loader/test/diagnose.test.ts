/**
 * カード障害切り分け against real emulated cards: a healthy card, a locked JPKI
 * auth PIN, a card AP the database expects but the card lacks (and the reverse),
 * other providers' card APs (counted, never named), a card reported lost, an
 * expired card, a card made for other area keys, and the certificate's status by
 * OCSP against a real responder of a test JPKI issuer whose certificates the card
 * carries (good, revoked, responder gone) or by dates only. The advice is checked
 * in both languages.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import { fromHex, toHex, type AreaMasterKeys, type Transmit } from '@myna-ap/apdu';
import {
  Card,
  createCard,
  generateCardKeys,
  newFreeAreas,
  type CardImage,
  type CardKeys,
} from '@myna-ap/card';
import { JpkiIssuer, startPkiServer, validateWithOcsp, type PkiServer } from '@myna-ap/pki';
import { diagnose, type DiagnoseReport } from '../src/cardops/diagnose.ts';
import { loadOnCard } from '../src/cardops/load.ts';
import { install, openArea, remove } from '../src/cardops/areaSession.ts';
import { approvedVersion } from '../src/store/instances.ts';
import { approveCardAp, requestCardAp } from '../src/store/cardAps.ts';
import { setCardStatus } from '../src/store/feed.ts';
import { buildInstallSpec } from '../src/domain/installSpec.ts';
import { providerId, type CardId } from '../src/domain/ids.ts';
import type { Ctx } from '../src/store/context.ts';
import { CHIYODA, T, otherMunicipality, world, type World } from './cardWorld.ts';

const consent = { method: 'counter_form' as const };
const tx =
  (card: Card): Transmit =>
  (b) =>
    card.transmit(b);

/** The issuer whose certificates the cards of this file carry, and its OCSP responder. */
let issuer: JpkiIssuer;
let pki: PkiServer;
let keys: CardKeys;
let base: CardImage;
let w: World;

/** Issued 2026-01-05, well before the world's clock (2026-06-01): the certificate is in its validity. */
const ISSUED = new Date('2026-01-05T10:00:00+09:00');

async function issueImage(): Promise<CardImage> {
  const made = await createCard({
    holder: {
      name: '番号 太郎',
      address: '東京都千代田区千代田1番1号',
      birthDate: '1985-04-01',
      sex: '1',
    },
    certificates: issuer,
    keys,
    now: ISSUED,
  });
  return made.image;
}

/** A card with its own serial (hence its own area keys) from `img`. */
function cardFrom(img: CardImage, o: { expiry?: string; masterKeys?: AreaMasterKeys } = {}): Card {
  const copy = structuredClone(img);
  const serial = new Uint8Array(randomBytes(16));
  const common = copy.common as { files: Record<string, string> };
  common.files['0001'] = toHex(serial);
  common.files['0002'] = toHex(new TextEncoder().encode(CHIYODA));
  if (o.expiry) common.files['0003'] = toHex(new TextEncoder().encode(o.expiry.replace(/-/g, '')));
  return Card.fromImage({
    ...copy,
    freeAreas: newFreeAreas({
      cardId: serial,
      ...(o.masterKeys ? { masterKeys: o.masterKeys } : {}),
    }),
  });
}

const serialOf = (card: Card) =>
  ((card.image.common as { files: Record<string, string> }).files['0001'] ?? '').toUpperCase();

function codes(r: DiagnoseReport): string[] {
  return r.findings.map((f) => f.code);
}

/** Every finding and every piece of advice says it in English and in Japanese. */
function bilingual(r: DiagnoseReport): void {
  const japanese = /[\u3040-\u30ff\u4e00-\u9fff]/;
  for (const t of [...r.findings.map((f) => f.text), ...r.advice]) {
    assert.match(t.en, /[A-Za-z]{3}/, JSON.stringify(t));
    assert.match(t.ja, japanese, JSON.stringify(t));
  }
}

before(async () => {
  issuer = await JpkiIssuer.createInMemory();
  pki = await startPkiServer(issuer, { port: 0 });
  keys = await generateCardKeys();
  base = await issueImage();
  w = await world();
});

after(async () => {
  await pki.close();
  await w.db.close();
});

test('a healthy card: every AP there, PIN tries, area usage, our card AP recorded, no fault', async () => {
  const card = cardFrom(base);
  const l = await loadOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    items: [{ cardApId: w.aps.C }],
    consent,
  });
  assert.equal(l.results[0]?.status, 'loaded');
  const r = await diagnose(w.ctx, w.op, tx(card), { terminalId: T });
  assert.equal(r.readable, true);
  assert.equal(r.cardId, serialOf(card));
  assert.equal(r.municipalityCode, CHIYODA);
  assert.equal(r.status, 'active');
  assert.deepEqual(
    r.apps.map((a) => [a.name, a.present]),
    [
      ['jpki', true],
      ['text', true],
      ['visual', true],
      ['juki', true],
      ['common', true],
    ],
  );
  const tries = Object.fromEntries(r.pins.map((p) => [p.name, p.triesLeft]));
  assert.equal(tries.jpki_auth, 3);
  assert.equal(tries.jpki_sign, 5);
  assert.ok(
    r.pins.every((p) => typeof p.triesLeft === 'number' && p.triesLeft > 0),
    JSON.stringify(r.pins),
  );
  const ext = r.areas.find((a) => a.area === 'extended')!;
  assert.deepEqual(
    ext.yours.map((y) => [y.aid, y.type, y.recorded]),
    [[l.results[0]!.aid, 'C', true]],
  );
  assert.equal(ext.others, 0);
  assert.ok(ext.total! > 0 && ext.used! > 0 && ext.free! === ext.total! - ext.used!);
  assert.deepEqual(r.missing, []);
  assert.equal(r.certificate.status, 'dates_ok', 'no certificate check configured: dates only');
  assert.ok(
    r.findings.every((f) => f.level === 'ok'),
    JSON.stringify(r.findings),
  );
  assert.deepEqual(codes(r), []);
  assert.equal(r.advice.length, 1);
  assert.match(r.advice[0]!.en, /No fault found/);
  assert.match(r.advice[0]!.ja, /異常はありません/);
  // Diagnosing spent no PIN try.
  const again = await diagnose(w.ctx, w.op, tx(card), { terminalId: T });
  assert.deepEqual(again.pins, r.pins);
});

test('a locked JPKI auth PIN: PIN_LOCKED and the reset advice', async () => {
  const card = cardFrom(base);
  const io = tx(card);
  await io(fromHex('00A4040C0AD392F000260100000001'));
  for (let i = 0; i < 3; i++) await io(fromHex('0020009804' + '39393939'));
  const r = await diagnose(w.ctx, w.op, io, { terminalId: T });
  assert.deepEqual(codes(r), ['PIN_LOCKED']);
  assert.equal(r.pins.find((p) => p.name === 'jpki_auth')?.triesLeft, 0);
  assert.equal(r.pins.find((p) => p.name === 'jpki_sign')?.triesLeft, 5);
  assert.match(r.findings[0]!.text.en, /JPKI auth PIN is locked/);
  assert.match(r.findings[0]!.text.ja, /利用者証明用暗証番号がロックされています/);
  assert.ok(r.advice.some((a) => /reset/.test(a.en) && /暗証番号の初期化/.test(a.ja)));
  assert.ok(!r.advice.some((a) => /No fault/.test(a.en)));
  bilingual(r);
});

test('the database and the card disagree: CARD_AP_MISSING and CARD_AP_UNRECORDED', async () => {
  const card = cardFrom(base);
  const l = await loadOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    items: [{ cardApId: w.aps.C }, { cardApId: w.aps.D }],
    consent,
  });
  assert.deepEqual(
    l.results.map((x) => x.status),
    ['loaded', 'loaded'],
  );
  const c = l.results.find((x) => x.cardApId === w.aps.C);
  const d = l.results.find((x) => x.cardApId === w.aps.D);
  // Behind the database's back: the type C card AP deleted from the card…
  const io = tx(card);
  const ch = await openArea(io, w.ctx.keys, 'extended', { serial: fromHex(serialOf(card)) });
  assert.equal(await remove(ch, fromHex(c!.aid!)), true);
  // …and the custom card AP of our provider installed without any record (a restored backup).
  const v = await approvedVersion(w.db, w.aps.custom, 1);
  const spec = buildInstallSpec({
    version: v,
    userId: new Uint8Array(randomBytes(13)),
    cardSerial: fromHex(serialOf(card)),
    master: w.ctx.keys.cardApMaster(v.aid),
    pin: new TextEncoder().encode('4321'),
  });
  assert.equal(await install(ch, spec), undefined);

  const r = await diagnose(w.ctx, w.op, io, { terminalId: T });
  assert.deepEqual(codes(r).sort(), ['CARD_AP_MISSING', 'CARD_AP_UNRECORDED']);
  assert.deepEqual(
    r.missing.map((m) => [m.instanceId, m.cardApId, m.aid, m.area]),
    [[c!.instanceId, w.aps.C, c!.aid, 'extended']],
  );
  const ext = r.areas.find((a) => a.area === 'extended')!;
  assert.deepEqual(
    ext.yours.map((y) => [y.aid, y.recorded]),
    [[toHex(v.aid).toUpperCase(), false]],
  );
  // The local area is as recorded.
  const local = r.areas.find((a) => a.area === 'local')!;
  assert.deepEqual(
    local.yours.map((y) => [y.aid, y.recorded]),
    [[d!.aid, true]],
  );
  assert.ok(r.advice.some((a) => /load them again/.test(a.en) && /再搭載/.test(a.ja)));
  assert.ok(r.advice.some((a) => /platform operator/.test(a.en) && /機構/.test(a.ja)));
  bilingual(r);
});

test('other providers’ card APs are counted, never named', async () => {
  const mae = await otherMunicipality(w, 'MAEBASHI', '102016');
  const ap = await requestCardAp(w.ctx, mae.admin, providerId('MAEBASHI'), {
    name: '前橋図書館',
    type: 'C',
    areas: ['extended'],
    size: 33,
  });
  const approved = await approveCardAp(w.ctx, w.platform, ap.id);
  const card = cardFrom(base);
  const m = await loadOnCard(w.ctx, mae.op, tx(card), {
    terminalId: mae.terminal,
    items: [{ cardApId: ap.id }],
    consent,
  });
  assert.equal(m.results[0]?.status, 'loaded');
  const ours = await loadOnCard(w.ctx, w.op, tx(card), {
    terminalId: T,
    items: [{ cardApId: w.aps.C }],
    consent,
  });
  assert.equal(ours.results[0]?.status, 'loaded');
  const r = await diagnose(w.ctx, w.op, tx(card), { terminalId: T });
  const ext = r.areas.find((a) => a.area === 'extended')!;
  assert.equal(ext.others, 1);
  assert.deepEqual(
    ext.yours.map((y) => y.aid),
    [ours.results[0]!.aid],
  );
  assert.deepEqual(codes(r), []);
  const text = JSON.stringify(r);
  const theirAid = String(approved.aid);
  assert.ok(theirAid.length > 0);
  for (const secret of [theirAid, 'MAEBASHI', '前橋', m.results[0]!.userId!, ap.id])
    assert.ok(!text.includes(secret), `the report names ${secret}`);
  // 前橋市 sees its own and counts ours.
  const theirs = await diagnose(w.ctx, mae.op, tx(card), { terminalId: mae.terminal });
  const e2 = theirs.areas.find((a) => a.area === 'extended')!;
  assert.deepEqual(
    e2.yours.map((y) => y.aid),
    [m.results[0]!.aid],
  );
  assert.equal(e2.others, 1);
});

test('a card reported lost, and an expired card', async () => {
  const card = cardFrom(base);
  await setCardStatus(w.ctx, w.platform, serialOf(card) as CardId, {
    status: 'lost',
    source: 'call_center',
  });
  const r = await diagnose(w.ctx, w.op, tx(card), { terminalId: T });
  assert.equal(r.status, 'lost');
  assert.deepEqual(codes(r), ['CARD_NOT_ACTIVE']);
  assert.ok(r.advice.some((a) => /Do not load/.test(a.en) && /コールセンター/.test(a.ja)));
  assert.ok(!r.advice.some((a) => /No fault/.test(a.en)));
  bilingual(r);

  const old = cardFrom(base, { expiry: '2026-05-31' });
  const e = await diagnose(w.ctx, w.op, tx(old), { terminalId: T });
  assert.equal(e.expiry, '2026-05-31');
  assert.deepEqual(codes(e), ['CARD_EXPIRED']);
  assert.ok(e.advice.some((a) => /expired/.test(a.en) && /有効期限/.test(a.ja)));
  bilingual(e);
  // The last day of validity is still valid; the day is Japan's, not UTC's.
  const today = cardFrom(base, { expiry: '2026-06-01' });
  assert.deepEqual(codes(await diagnose(w.ctx, w.op, tx(today), { terminalId: T })), []);
  w.setNow(new Date('2026-06-01T08:00:00+09:00')); // still 05-31 in UTC
  try {
    assert.deepEqual(codes(await diagnose(w.ctx, w.op, tx(old), { terminalId: T })), [
      'CARD_EXPIRED',
    ]);
  } finally {
    w.setNow(new Date('2026-06-01T10:00:00+09:00'));
  }
  // A lost card's advice says how to lift it; a revoked one's, that it is for good.
  const gone = cardFrom(base);
  await setCardStatus(w.ctx, w.platform, serialOf(gone) as CardId, {
    status: 'revoked',
    source: 'issuer',
  });
  const rv = await diagnose(w.ctx, w.op, tx(gone), { terminalId: T });
  assert.match(rv.findings[0]!.text.ja, /「失効」/);
  assert.ok(rv.advice.some((a) => /revoked, for good/.test(a.en) && /新しいカード/.test(a.ja)));
  assert.ok(r.advice.some((a) => /lift the loss report/.test(a.en) && /紛失届/.test(a.ja)));
});

test('a card that is not a My Number Card: NOT_MYNA_CARD, nothing else tried', async () => {
  const img = structuredClone(base);
  (img.common as { files: Record<string, string> }).files['0001'] = '00'.repeat(16);
  const r = await diagnose(w.ctx, w.op, tx(Card.fromImage(img)), { terminalId: T });
  assert.equal(r.readable, false);
  assert.deepEqual(codes(r), ['NOT_MYNA_CARD']);
  assert.ok(
    r.advice.some(
      (a) => /not a My Number Card/.test(a.en) && /マイナンバーカードではありません/.test(a.ja),
    ),
  );
  bilingual(r);
});

test('a card made for other area keys: AREA_UNREADABLE, the capacity still told in plain', async () => {
  const other = (b: number): AreaMasterKeys['local'] => ({
    enc: new Uint8Array(16).fill(b),
    mac: new Uint8Array(16).fill(b + 1),
    dek: new Uint8Array(16).fill(b + 2),
  });
  const card = cardFrom(base, { masterKeys: { local: other(0x10), extended: other(0x20) } });
  const r = await diagnose(w.ctx, w.op, tx(card), { terminalId: T });
  assert.deepEqual(codes(r), ['AREA_UNREADABLE', 'AREA_UNREADABLE']);
  for (const a of r.areas) {
    assert.ok(a.total! > 0, `${a.area}: total reported`);
    assert.equal(a.used, 0);
    assert.equal(a.free, a.total);
    assert.deepEqual(a.yours, []);
    assert.ok(a.error && /keys/.test(a.error.en) && /鍵/.test(a.error.ja), JSON.stringify(a.error));
  }
  assert.ok(r.advice.some((a) => /platform operator/.test(a.en) && /機構/.test(a.ja)));
  // The rest of the card is still diagnosed.
  assert.equal(
    r.apps.every((a) => a.present),
    true,
  );
  assert.equal(r.pins.find((p) => p.name === 'jpki_auth')?.triesLeft, 3);
  bilingual(r);
});

test('certificate status by OCSP against the issuer that made the card: valid, revoked, responder gone', async () => {
  const trust = {
    root: issuer.rootCertificate,
    cas: [issuer.authCaCertificate, issuer.signCaCertificate],
  };
  let url = `${pki.url}/ocsp`;
  const ctx: Ctx = {
    ...w.ctx,
    certificateCheck: (der) => validateWithOcsp(der, trust, { url, timeoutMs: 5000 }),
  };
  // A card of its own: revoking its certificate must not touch the other tests' cards.
  const card = cardFrom(await issueImage());
  const good = await diagnose(ctx, w.op, tx(card), { terminalId: T });
  assert.equal(good.certificate.status, 'valid', JSON.stringify(good.certificate));
  assert.deepEqual(codes(good), []);

  const authDer = fromHex((card.image.jpki as { files: Record<string, string> }).files['000A']!);
  const serial = new X509Certificate(authDer).serialNumber;
  await issuer.revoke(serial, 'lost');
  const revoked = await diagnose(ctx, w.op, tx(card), { terminalId: T });
  assert.equal(revoked.certificate.status, 'revoked', JSON.stringify(revoked.certificate));
  assert.deepEqual(codes(revoked), ['CERTIFICATE']);
  assert.equal(revoked.findings[0]!.level, 'error');
  assert.match(
    revoked.findings[0]!.text.en,
    /the auth certificate is revoked \(since 20\d\d-.*keyCompromise/,
  );
  assert.match(revoked.findings[0]!.text.ja, /利用者証明用電子証明書は失効しています/);
  assert.ok(revoked.advice.some((a) => /reissued/.test(a.en) && /再発行/.test(a.ja)));
  bilingual(revoked);
  // Without a check: dates only, whatever the responder knows.
  const plain = await diagnose(w.ctx, w.op, tx(card), { terminalId: T });
  assert.equal(plain.certificate.status, 'dates_ok');
  // A responder that does not answer: unavailable, a warning, never valid.
  url = 'http://127.0.0.1:1/ocsp';
  const gone = await diagnose(ctx, w.op, tx(card), { terminalId: T });
  assert.equal(gone.certificate.status, 'unavailable');
  assert.equal(gone.findings.find((f) => f.code === 'CERTIFICATE')?.level, 'warning');
});
