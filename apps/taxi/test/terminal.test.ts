/**
 * The in-car terminal against the city's server over HTTP, with the taxi card AP on
 * an emulated card: limits on the card, rides stored and signed, and every way a
 * sync can go wrong — duplicated, late, out of order, cut short, a terminal that
 * crashed between storing and syncing, two terminals and a clock far off, a forged
 * or conflicting record. A ride is never counted twice or lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Card } from '@myna-ap/card';
import { InProcessChannel } from '@myna-ap/transport';
import { HttpCity, type CityLink } from '../src/terminal.ts';
import { newTerminalKey, signRecord, type SignedRecord } from '../src/ride.ts';
import { storeFeedPage } from '../src/store.ts';
import {
  USER_ID,
  pulledAtWrite,
  registerAt,
  startCity,
  taxiCard,
  tempDir,
  terminal,
  type City,
} from './world.ts';

const IN = { fareYen: 1500, boardInCity: true, alightInCity: false };

async function settlementCsv(city: City, from = '2026-06-01', to = '2026-06-30', detail = false) {
  const r = await city.staff(
    'GET',
    `/settlement.csv?from=${from}&to=${to}${detail ? '&detail=1' : ''}`,
  );
  assert.equal(r.status, 200);
  return r.text();
}

async function withCity(fn: (city: City) => Promise<void>) {
  const city = await startCity();
  try {
    await fn(city);
  } finally {
    await city.close();
  }
}

test('two rides a day on the card, the third refused; synced and settled once', () =>
  withCity(async (city) => {
    const { channel, keyPackage } = await taxiCard();
    const clock = { now: new Date('2026-06-01T09:00:00+09:00') };
    const t = terminal(tempDir(), keyPackage, { clock });
    await registerAt(city, t);
    const r1 = await t.touch(channel, IN);
    assert.deepEqual(r1, {
      seq: 1,
      userId: USER_ID,
      subsidyYen: 750,
      passengerYen: 750,
      ridesToday: 1,
      ridesThisYear: 1,
    });
    clock.now = new Date('2026-06-01T13:00:00+09:00');
    assert.equal((await t.touch(channel, { ...IN, fareYen: 3000 })).subsidyYen, 1000);
    await assert.rejects(t.touch(channel, IN), (e: { code: string; text: { ja: string } }) => {
      return e.code === 'DAILY_LIMIT' && e.text.ja.includes('上限');
    });
    await assert.rejects(t.touch(channel, { ...IN, boardInCity: false }), { code: 'OUTSIDE_CITY' });
    assert.equal(t.records().length, 2, 'a refused touch stores nothing');
    const city1 = new HttpCity(city.url);
    assert.deepEqual(await t.sync(city1), { sent: 2, heldThrough: 2, statusNext: 0 });
    // Duplicated sync: nothing new to send, and sending everything again changes nothing.
    assert.equal((await t.sync(city1)).sent, 0);
    assert.equal(await city1.push(t.terminalId, new Date().toISOString(), t.records()), 2);
    assert.equal(await city1.push(t.terminalId, new Date().toISOString(), t.records()), 2);
    assert.equal(
      (await city.staff('POST', '/holders', { userId: USER_ID.toLowerCase() })).status,
      201,
    );
    const csv = await settlementCsv(city);
    assert.equal(
      csv,
      'company,from,to,rides,paid_rides,payable_yen,flagged_rides,flagged_yen\r\n' +
        'maebashi-kotsu,2026-06-01,2026-06-30,2,2,1750,0,0\r\n',
    );
    // The next day the card rides again.
    clock.now = new Date('2026-06-02T09:00:00+09:00');
    assert.equal((await t.touch(channel, IN)).ridesThisYear, 3);
  }));

test('out of order and late: the city holds a gap until the missing ride arrives', () =>
  withCity(async (city) => {
    const { channel, keyPackage } = await taxiCard();
    const clock = { now: new Date('2026-06-01T09:00:00+09:00') };
    const t = terminal(tempDir(), keyPackage, { clock });
    await registerAt(city, t);
    await city.staff('POST', '/holders', { userId: USER_ID });
    for (const day of ['2026-06-01', '2026-06-02', '2026-06-03']) {
      clock.now = new Date(`${day}T09:00:00+09:00`);
      await t.touch(channel, IN);
    }
    city.setNow(clock.now); // the clocks agree: no correction here
    const http = new HttpCity(city.url);
    const [r1, r2, r3] = t.records() as [SignedRecord, SignedRecord, SignedRecord];
    // 3 first, then 1: the city holds 1 and 3, so "held through" is 1 (2 is missing).
    assert.equal(await http.push(t.terminalId, clock.now.toISOString(), [r3]), 0);
    assert.equal(await http.push(t.terminalId, clock.now.toISOString(), [r1]), 1);
    const page = await (await city.staff('GET', '/')).text();
    assert.match(page, /未同期の欠番あり/);
    // The settlement run now has 2 of the 3 rides; the late one joins when it comes.
    assert.match(await settlementCsv(city), /,2,2,1500,0,0\r\n$/);
    assert.equal(await http.push(t.terminalId, clock.now.toISOString(), [r2]), 3);
    assert.match(await settlementCsv(city), /,3,3,2250,0,0\r\n$/);
    assert.equal((await t.sync(http)).sent, 0);
  }));

test('a sync cut short (the answer lost) and repeated counts each ride once', () =>
  withCity(async (city) => {
    const { channel, keyPackage } = await taxiCard();
    const clock = { now: new Date('2026-06-01T09:00:00+09:00') };
    const t = terminal(tempDir(), keyPackage, { clock });
    await registerAt(city, t);
    await city.staff('POST', '/holders', { userId: USER_ID });
    await t.touch(channel, IN);
    const http = new HttpCity(city.url);
    // The city stores the batch, then the line drops before the terminal hears back.
    const lossy: CityLink = {
      heldThrough: (id) => http.heldThrough(id),
      push: async (...a) => {
        await http.push(...a);
        throw new Error('connection reset');
      },
      status: (s) => http.status(s),
    };
    await assert.rejects(t.sync(lossy), /connection reset/);
    clock.now = new Date('2026-06-01T15:00:00+09:00');
    await t.touch(channel, IN);
    assert.deepEqual(await t.sync(http), { sent: 1, heldThrough: 2, statusNext: 0 });
    assert.match(await settlementCsv(city), /,2,2,1500,0,0\r\n$/);
    // A city that is down: the terminal says so and keeps its rides.
    await assert.rejects(t.sync(new HttpCity('http://127.0.0.1:9')), { code: 'CITY_UNREACHABLE' });
  }));

test('a terminal that crashed between storing and syncing (torn last line) sends every stored ride after restart', () =>
  withCity(async (city) => {
    const { channel, keyPackage } = await taxiCard();
    const dir = tempDir();
    const clock = { now: new Date('2026-06-01T09:00:00+09:00') };
    const before = terminal(dir, keyPackage, { clock });
    await registerAt(city, before);
    await before.touch(channel, IN);
    // Power lost while a later append was half written: that line was never acknowledged.
    appendFileSync(join(dir, 'rides.jsonl'), '{"body":{"kind":"ride","termin');
    const after = terminal(dir, keyPackage, { clock });
    assert.equal(after.publicKeyPem, before.publicKeyPem, 'the same key after restart');
    assert.equal(after.records().length, 1);
    clock.now = new Date('2026-06-01T10:00:00+09:00');
    assert.equal((await after.touch(channel, IN)).seq, 2, 'seq goes on, never reused');
    // The log is whole again: a third opening reads both rides.
    assert.equal(terminal(dir, keyPackage, { clock }).records().length, 2);
    assert.equal((await after.sync(new HttpCity(city.url))).heldThrough, 2);
    // A damaged line inside the log is not a crash: refused, loudly.
    const log = readFileSync(join(dir, 'rides.jsonl'), 'utf8').split('\n');
    appendFileSync(join(dir, 'rides.jsonl'), 'garbage\n' + log[0] + '\n');
    assert.throws(() => terminal(dir, keyPackage, { clock }), { code: 'RIDE_LOG_CORRUPT' });
  }));

test('the card leaves before its counter is written: the ride is voided, never paid, and the holder touches again', () =>
  withCity(async (city) => {
    const { channel, keyPackage } = await taxiCard();
    const clock = { now: new Date('2026-06-01T09:00:00+09:00') };
    const t = terminal(tempDir(), keyPackage, { clock });
    await registerAt(city, t);
    await city.staff('POST', '/holders', { userId: USER_ID });
    await assert.rejects(t.touch(pulledAtWrite(channel, { afterWrite: false }), IN), {
      code: 'CARD_NOT_COUNTED',
    });
    assert.deepEqual(
      t.records().map((r) => r.body.kind),
      ['ride', 'void'],
    );
    const again = await t.touch(channel, IN);
    assert.equal(again.ridesToday, 1, 'the card never counted the voided ride');
    await t.sync(new HttpCity(city.url));
    assert.match(await settlementCsv(city), /,2,1,750,0,0\r\n$/);
    const detail = await settlementCsv(city, '2026-06-01', '2026-06-30', true);
    assert.match(detail, /,1,0102030405060708090A0B0C0D,.*,voided,0\r\n/);
  }));

test('two terminals, the same card offline, one clock a day behind: the limits hold at settlement', () =>
  withCity(async (city) => {
    const { channel, keyPackage } = await taxiCard();
    const slow = { now: new Date('2026-05-31T09:00:00+09:00') }; // really 06-01 09:00
    const right = { now: new Date('2026-06-01T12:00:00+09:00') };
    const a = terminal(tempDir(), keyPackage, { id: 'car-a', company: 'akagi-taxi', clock: slow });
    const b = terminal(tempDir(), keyPackage, {
      id: 'car-b',
      company: 'maebashi-kotsu',
      clock: right,
    });
    await registerAt(city, a);
    await registerAt(city, b);
    await city.staff('POST', '/holders', { userId: USER_ID });
    // Car A counts two rides on "05-31"; car B, on 06-01, sees a new day on the card.
    await a.touch(channel, IN);
    slow.now = new Date('2026-05-31T10:00:00+09:00');
    await a.touch(channel, IN);
    await b.touch(channel, IN);
    right.now = new Date('2026-06-01T13:00:00+09:00');
    await b.touch(channel, IN);
    // Sync: the city measures car A's clock one day behind and corrects its rides.
    city.setNow(new Date('2026-06-01T20:00:00+09:00'));
    slow.now = new Date('2026-05-31T20:00:00+09:00');
    right.now = new Date('2026-06-01T20:00:00+09:00');
    await a.sync(new HttpCity(city.url));
    await b.sync(new HttpCity(city.url));
    const detail = await settlementCsv(city, '2026-06-01', '2026-06-01', true);
    const flags = detail
      .trim()
      .split('\r\n')
      .slice(1)
      .map((l) => l.split(',').at(-2));
    assert.deepEqual(flags.sort(), ['ok', 'ok', 'over_daily', 'over_daily']);
    // Nothing dropped: four rides, two paid, two flagged with their amount.
    const sum = await settlementCsv(city, '2026-06-01', '2026-06-01');
    const totals = sum
      .trim()
      .split('\r\n')
      .slice(1)
      .map((l) => l.split(','))
      .map((c) => ({
        company: c[0],
        rides: Number(c[3]),
        paid: Number(c[4]),
        flagged: Number(c[6]),
      }));
    assert.equal(
      totals.reduce((n, c) => n + c.rides, 0),
      4,
    );
    assert.equal(
      totals.reduce((n, c) => n + c.paid, 0),
      2,
    );
    assert.equal(
      totals.reduce((n, c) => n + c.flagged, 0),
      2,
    );
  }));

test('the same card image on two cards (the counter rolled back): the extra ride is flagged, not lost', () =>
  withCity(async (city) => {
    const { card, keyPackage } = await taxiCard();
    const twin = Card.fromImage(structuredClone(card.image));
    const clock = { now: new Date('2026-06-01T09:00:00+09:00') };
    const a = terminal(tempDir(), keyPackage, { id: 'car-a', clock });
    const b = terminal(tempDir(), keyPackage, { id: 'car-b', clock });
    await registerAt(city, a);
    await registerAt(city, b);
    await city.staff('POST', '/holders', { userId: USER_ID });
    await a.touch(new InProcessChannel(card), IN);
    await a.touch(new InProcessChannel(card), IN);
    clock.now = new Date('2026-06-01T11:00:00+09:00');
    await b.touch(new InProcessChannel(twin), IN); // the twin's counter says 0 today
    await b.sync(new HttpCity(city.url));
    await a.sync(new HttpCity(city.url));
    assert.match(
      await settlementCsv(city),
      /maebashi-kotsu,2026-06-01,2026-06-30,3,2,1500,1,750\r\n$/,
    );
  }));

test('a forged record is refused whole; a different record under a held seq is kept aside, never applied', () =>
  withCity(async (city) => {
    const { channel, keyPackage } = await taxiCard();
    const dir = tempDir();
    const t = terminal(dir, keyPackage);
    await registerAt(city, t);
    await t.touch(channel, IN);
    const http = new HttpCity(city.url);
    const mine = t.records()[0]!;
    const forged = signRecord({ ...mine.body, seq: 2 }, newTerminalKey().privatePem);
    await assert.rejects(
      http.push(t.terminalId, new Date().toISOString(), [mine, forged]),
      /SIGNATURE_INVALID/,
    );
    assert.equal(await http.heldThrough(t.terminalId), 0, 'nothing of the batch was taken');
    // Another terminal's genuine record sent under this terminal's name: refused too.
    const other = terminal(tempDir(), keyPackage, { id: 'car-x' });
    await other.touch(channel, IN);
    await assert.rejects(
      http.push(t.terminalId, new Date().toISOString(), other.records()),
      /SIGNATURE_INVALID/,
    );
    await t.sync(http);
    // The terminal's key on a copy that signs a different ride 1: kept aside, the first stands.
    const bodyB = { ...mine.body, fareYen: 9999 };
    const keyFile = readFileSync(join(dir, 'terminal-key.pem'), 'utf8');
    const r = await fetch(`${city.url}/v1/terminals/${t.terminalId}/rides`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        terminalNow: new Date().toISOString(),
        records: [signRecord(bodyB, keyFile)],
      }),
    });
    const j = (await r.json()) as { conflicts: number; accepted: number; heldThrough: number };
    assert.deepEqual([j.accepted, j.conflicts, j.heldThrough], [0, 1, 1]);
    assert.match(await (await city.staff('GET', '/')).text(), /重複通番の不一致 1 件/);
    // Unknown terminal, bad body: clear refusals in both languages.
    const u = await fetch(`${city.url}/v1/terminals/nobody/rides`);
    assert.equal(u.status, 404);
    assert.equal(((await u.json()) as { code: string }).code, 'TERMINAL_UNKNOWN');
    const bad = await fetch(`${city.url}/v1/terminals/${t.terminalId}/rides`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ terminalNow: 'x', records: [{ body: {}, sig: 'x' }] }),
    });
    const bj = (await bad.json()) as { code: string; message: { ja: string; en: string } };
    assert.equal(bad.status, 400);
    assert.equal(bj.code, 'RIDE_INVALID');
    assert.ok(bj.message.ja.length > 0 && bj.message.en.length > 0);
  }));

test('a card reported lost is refused from the terminal’s next sync of the status list on', () =>
  withCity(async (city) => {
    const { channel, keyPackage } = await taxiCard();
    const t = terminal(tempDir(), keyPackage);
    await registerAt(city, t);
    await t.touch(channel, IN);
    // The city's server read the loader's feed (pollFeed; end to end in e2e.test.ts).
    await storeFeedPage(city.db, keyPackage.aid, {
      events: [{ seq: 7, status: 'lost', cardAps: [{ aid: keyPackage.aid, userId: USER_ID }] }],
      next: 7,
    });
    // Offline, the terminal does not know yet.
    await t.touch(channel, { ...IN, fareYen: 800 });
    assert.equal((await t.sync(new HttpCity(city.url))).statusNext, 7);
    await assert.rejects(t.touch(channel, IN), { code: 'CARD_LOST' });
    assert.equal(t.records().length, 2, 'a refused card stores nothing');
  }));

test('staff pages need the staff password; registration refuses a bad user ID', () =>
  withCity(async (city) => {
    const anon = await fetch(`${city.url}/`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate') ?? '', /Basic/);
    const wrong = await fetch(`${city.url}/settlement.csv`, {
      headers: { authorization: `Basic ${Buffer.from('staff:nope').toString('base64')}` },
    });
    assert.equal(wrong.status, 401);
    const home = await city.staff('GET', '/');
    assert.equal(home.status, 200);
    assert.match(await home.text(), /マイタク 職員用ページ/);
    const bad = await city.staff('POST', '/holders', { userId: 'not hex' });
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { code: string }).code, 'HOLDER_INVALID');
    const period = await city.staff('GET', '/settlement?from=2026-06-30&to=2026-06-01');
    assert.equal(period.status, 400);
    assert.equal(((await period.json()) as { code: string }).code, 'PERIOD_INVALID');
    // The staff's form posts (the page's own forms) work too.
    const form = await fetch(`${city.url}/holders`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        authorization: `Basic ${Buffer.from(`staff:staff password for tests`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: `userId=${USER_ID}`,
    });
    assert.equal(form.status, 303);
    assert.match(await (await city.staff('GET', '/')).text(), /登録者 1 人/);
    const html = await (
      await city.staff('GET', '/settlement?from=2026-06-01&to=2026-06-30')
    ).text();
    assert.match(html, /精算 2026-06-01 〜 2026-06-30/);
  }));
