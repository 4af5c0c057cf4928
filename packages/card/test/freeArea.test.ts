import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CardStatusError,
  EXTENDED_SD_AID,
  LOCAL_SD_AID,
  Scp03Error,
  command,
  concat,
  deleteCommand,
  encodeCommand,
  fromHex,
  getCapacityCommand,
  getStatusCommand,
  installCommands,
  parseCapacity,
  parseGetStatus,
  parseResponse,
  readCardAp,
  TEST_AREA_MASTER_KEYS,
  areaCapacity,
  deleteCardAp,
  installCardAp,
  listCardAps,
  openAreaSession,
  openCardAp,
  resetPinCommands,
  selectAidCommand,
  sendPlain,
  toHex,
} from '@myna-ap/apdu';
import {
  freeAreaUsage,
  footprint,
  parseFreeAreas,
  type FreeAreasImage,
} from '../src/freeArea/index.ts';
import {
  KEYS_A,
  KEYS_B,
  PIN,
  PROVIDER_A,
  apAid,
  blankCard,
  install,
  openArea,
  reloaded,
  specA,
  specC,
  specD,
  tx,
  uid,
} from './freeAreaKit.ts';

test('type C: install under the SD channel, then anyone reads the user ID', async () => {
  const card = blankCard();
  const t = tx(card);
  const s = await openArea(t, 'extended');
  const spec = specC(1);
  assert.equal(await install(s, spec), 0x9000);
  const r = await readCardAp(t, { aid: spec.aid, type: 'C' });
  assert.deepEqual(r.userId, spec.userId);
  assert.deepEqual(
    r.items?.map((i) => i.tag),
    [0x81, 0x82],
  );
  // the EF itself: 80 0D <user ID> then the provider's TLVs, 33 bytes at most
  await sendPlain(t, selectAidCommand(spec.aid));
  const raw = await sendPlain(t, command({ ins: 0xb0, ne: 256 }));
  assert.equal(toHex(raw.data), '800d' + toHex(spec.userId) + '8104000000018203414243');
  assert.ok(raw.data.length <= 33);
});

test('GET STATUS lists the area, GET DATA tells the capacity, DELETE frees it', async () => {
  const card = blankCard();
  const t = tx(card);
  const s = await openArea(t, 'local');
  const cap0 = parseCapacity((await s.send(getCapacityCommand())).data);
  assert.deepEqual(cap0, { cardAps: 0, total: 2880, used: 0, free: 2880 });
  assert.equal((await s.send(getStatusCommand())).sw, 0x6a88);
  await install(s, specC(1));
  await install(s, specA(2));
  const st = await s.send(getStatusCommand());
  assert.equal(st.sw, 0x9000);
  const list = parseGetStatus(st.data);
  assert.deepEqual(
    list.map((e) => [
      toHex(e.aid),
      e.type,
      e.size,
      Buffer.from(e.providerId).toString(),
      e.lifeCycle,
    ]),
    [
      [toHex(apAid(1)), 'C', 33, 'LIB-CHIYODA', 7],
      [toHex(apAid(2)), 'A', 255, 'LIB-CHIYODA', 7],
    ],
  );
  const cap1 = parseCapacity((await s.send(getCapacityCommand())).data);
  assert.equal(cap1.used, footprint({ size: 33 }) + footprint({ size: 255 }));
  assert.equal(cap1.free + cap1.used, cap1.total);
  assert.deepEqual(freeAreaUsage(card.image).local, {
    total: 2880,
    used: cap1.used,
    free: cap1.free,
    cardAps: 2,
  });

  assert.equal((await s.send(deleteCommand(apAid(1)))).sw, 0x9000);
  assert.equal((await s.send(deleteCommand(apAid(1)))).sw, 0x6a88);
  assert.equal(parseGetStatus((await s.send(getStatusCommand())).data).length, 1);
  assert.equal(
    parseCapacity((await s.send(getCapacityCommand())).data).used,
    footprint({ size: 255 }),
  );
  assert.equal((await sendPlain(t, selectAidCommand(apAid(1)))).sw, 0x6a82);
  // GET DATA also answers without a channel (diagnosis)
  await sendPlain(t, selectAidCommand(LOCAL_SD_AID));
  assert.equal(parseCapacity((await sendPlain(t, getCapacityCommand())).data).cardAps, 1);
});

test('GET STATUS pages with 63 10 when the list is long', async () => {
  const card = blankCard();
  const s = await openArea(tx(card), 'extended');
  for (let i = 1; i <= 12; i++) assert.equal(await install(s, specC(i)), 0x9000);
  let r = await s.send(getStatusCommand());
  assert.equal(r.sw, 0x6310);
  const all = parseGetStatus(r.data);
  for (let pages = 1; r.sw === 0x6310; pages++) {
    assert.ok(r.data.length <= 200 && pages < 12);
    r = await s.send(getStatusCommand(true));
    all.push(...parseGetStatus(r.data));
  }
  assert.equal(r.sw, 0x9000);
  assert.deepEqual(
    all.map((e) => toHex(e.aid)),
    Array.from({ length: 12 }, (_, i) => toHex(apAid(i + 1))),
  );
});

test('an install larger than one APDU goes in INSTALL + STORE DATA blocks', async () => {
  const card = blankCard();
  const t = tx(card);
  const s = await openArea(t, 'extended');
  const spec = specD(
    3,
    uid(),
    Uint8Array.from({ length: 242 }, (_, i) => i),
  );
  const cmds = installCommands(spec, 100);
  assert.ok(cmds.length >= 3);
  assert.equal(cmds[0]!.ins, 0xe6);
  assert.deepEqual(
    cmds.slice(1).map((c) => [c.ins, c.p2]),
    cmds.slice(1).map((_, i) => [0xe2, i]),
  );
  assert.equal(cmds.at(-1)!.p1, 0x80);
  assert.equal(await install(s, spec, 100), 0x9000);
  const r = await readCardAp(t, { aid: spec.aid, type: 'D', keys: KEYS_B, pin: PIN });
  assert.deepEqual(r.userId, spec.userId);
  assert.deepEqual(r.data, spec.data);
});

test('no room: 6A 84, and GET DATA says how much is left', async () => {
  const card = blankCard({ capacity: { local: 700 } });
  const s = await openArea(tx(card), 'local');
  assert.equal(await install(s, specA(1)), 0x9000);
  assert.equal(await install(s, specD(2)), 0x9000);
  const cap = parseCapacity((await s.send(getCapacityCommand())).data);
  assert.equal(cap.free, 700 - 2 * footprint({ size: 255 }));
  assert.ok(cap.free < footprint({ size: 255 }));
  const before = card.image;
  assert.equal(await install(s, specA(3)), 0x6a84);
  assert.equal(card.image, before, 'a refused install changes nothing');
  // what still fits does fit
  assert.ok(cap.free >= footprint({ size: 33 }));
  assert.equal(await install(s, specC(4)), 0x9000);
});

test('duplicate AID: 6A 89 (same area, other area, SD or fixed applet)', async () => {
  const card = blankCard();
  const t = tx(card);
  const local = await openArea(t, 'local');
  assert.equal(await install(local, specC(1)), 0x9000);
  assert.equal(await install(local, specC(1)), 0x6a89);
  const ext = await openArea(t, 'extended');
  assert.equal(await install(ext, specC(1)), 0x6a89);
  assert.equal(await install(ext, { ...specC(2), aid: LOCAL_SD_AID }), 0x6a89);
});

test('bad TLV and out-of-limit parameters: 6A 80, nothing written', async () => {
  const card = blankCard();
  const s = await openArea(tx(card), 'extended');
  const before = card.image;
  const bad = [
    { ...specC(1), size: 34 }, // type C is 33 bytes at most
    { ...specC(1), userId: new Uint8Array(12) }, // user ID is 13 bytes
    { ...specC(1), data: fromHex('81') }, // info is not TLV
    { ...specC(1), data: fromHex('810a01020304050607080910') }, // 15 + 12 ok, but then size:
    { ...specA(1), pin: undefined }, // type A needs a PIN
    { ...specA(1), keys: { enc: new Uint8Array(8), mac: new Uint8Array(16) } },
    { ...specD(1), data: new Uint8Array(243) }, // 13 + 243 > 255
  ];
  bad[3] = { ...bad[3]!, size: 20 };
  for (const spec of bad)
    assert.equal(await install(s, spec as never), 0x6a80, JSON.stringify(spec));
  // raw malformed INSTALL data
  assert.equal(
    (await s.send(command({ cla: 0x80, ins: 0xe6, p1: 0x0c, data: fromHex('07f04d594e414341') })))
      .sw,
    0x6a80,
  );
  assert.equal(card.image, before);
});

test('no secure channel: 69 82; C-MAC only is not enough for INSTALL', async () => {
  const card = blankCard();
  const t = tx(card);
  await sendPlain(t, selectAidCommand(EXTENDED_SD_AID));
  for (const c of [...installCommands(specC(1)), deleteCommand(apAid(1)), getStatusCommand()]) {
    assert.equal((await sendPlain(t, c)).sw, 0x6982);
  }
  const weak = await openArea(t, 'extended', { level: 0x01 });
  assert.equal((await weak.send(installCommands(specC(1))[0]!)).sw, 0x6982);
  assert.equal(freeAreaUsage(card.image).extended.cardAps, 0);
});

test('a flipped bit or a replayed APDU is refused and kills the session', async () => {
  const card = blankCard();
  let last: Uint8Array | undefined;
  let flip = false;
  const t = (b: Uint8Array) => {
    const x = b.slice();
    if (flip) x[x.length - 3]! ^= 0x01;
    last = b;
    return card.transmit(x);
  };
  const s = await openArea(t, 'extended', { level: 0x13 });
  flip = true;
  const cmd = installCommands(specC(1))[0]!;
  const r = parseResponse(
    card.transmit(
      flip
        ? (() => {
            const w = s.host.wrap(cmd);
            w[w.length - 2]! ^= 0x40;
            return w;
          })()
        : new Uint8Array(),
    ),
  );
  assert.equal(r.sw, 0x6988);
  flip = false;
  // the session is gone on the card: the next correct command is refused too
  assert.equal(parseResponse(card.transmit(s.host.wrap(getStatusCommand()))).sw, 0x6982);
  // replay: a fresh session, a command sent twice
  const s2 = await openArea(tx(card), 'extended', { level: 0x01 });
  const w = s2.host.wrap(getCapacityCommand());
  assert.equal(parseResponse(card.transmit(w)).sw, 0x9000);
  assert.equal(parseResponse(card.transmit(w)).sw, 0x6988);
  assert.ok(last);
});

test("keys: local keys do not open extended, another card's keys do not open this one", async () => {
  const card = blankCard();
  await assert.rejects(
    openArea(tx(card), 'extended', { keysOf: 'local' }),
    (e: unknown) => e instanceof Scp03Error && e.code === 'SCP03_BAD_CARD_CRYPTOGRAM',
  );
  // A host that diversifies for a different card (fixed KDD) fails as well.
  const other = blankCard({ cardId: fromHex('0102030405060708') });
  const kddOther = fromHex(
    other.image.freeAreas ? (other.image.freeAreas as { local: { kdd: string } }).local.kdd : '',
  );
  const { openSecureSession, diversifyScp03Keys, TEST_AREA_MASTER_KEYS } =
    await import('@myna-ap/apdu');
  await assert.rejects(
    openSecureSession(tx(card), LOCAL_SD_AID, {
      keys: () => diversifyScp03Keys(TEST_AREA_MASTER_KEYS.local, kddOther, 1),
    }),
    { code: 'SCP03_BAD_CARD_CRYPTOGRAM' },
  );
  // and the masters themselves are not the card's keys
  await assert.rejects(
    openSecureSession(tx(card), LOCAL_SD_AID, { keys: TEST_AREA_MASTER_KEYS.local }),
    {
      code: 'SCP03_BAD_CARD_CRYPTOGRAM',
    },
  );
});

test('type A: mutual authentication + PIN; PIN lock survives power-off and reload', async () => {
  let card = blankCard();
  const s = await openArea(tx(card), 'extended');
  const spec = specA(5);
  assert.equal(await install(s, spec), 0x9000);
  const r = await readCardAp(tx(card), { aid: spec.aid, type: 'A', keys: KEYS_A, pin: PIN });
  assert.deepEqual(r.userId, spec.userId);
  assert.deepEqual(r.records, spec.records);
  // without authentication nothing is readable
  await sendPlain(tx(card), selectAidCommand(spec.aid));
  assert.equal(
    (await sendPlain(tx(card), command({ ins: 0xb2, p1: 1, p2: 4, ne: 256 }))).sw,
    0x6982,
  );
  // a plain VERIFY with the PIN is refused (the PIN travels only in the channel)
  assert.equal((await sendPlain(tx(card), command({ ins: 0x20, p2: 0x81, data: PIN }))).sw, 0x6982);
  assert.equal((await sendPlain(tx(card), command({ ins: 0x20, p2: 0x81 }))).sw, 0x63c3);
  // wrong PIN three times: 63 C2, 63 C1, 63 C0, then locked (69 83) even with the right one
  const wrong = new TextEncoder().encode('9999');
  for (const sw of [0x63c2, 0x63c1, 0x63c0]) {
    await assert.rejects(
      readCardAp(tx(card), { aid: spec.aid, type: 'A', keys: KEYS_A, pin: wrong }),
      (e: unknown) => e instanceof CardStatusError && e.sw === sw,
    );
  }
  card.powerOff();
  card = reloaded(card);
  await assert.rejects(
    readCardAp(tx(card), { aid: spec.aid, type: 'A', keys: KEYS_A, pin: PIN }),
    (e: unknown) => e instanceof CardStatusError && e.sw === 0x6983,
  );
  await sendPlain(tx(card), selectAidCommand(spec.aid));
  assert.equal((await sendPlain(tx(card), command({ ins: 0x20, p2: 0x81 }))).sw, 0x6983);
});

test('type A: UPDATE RECORD in the channel; record 1 (user ID) is read-only', async () => {
  const card = blankCard();
  const sd = await openArea(tx(card), 'local');
  const spec = { ...specA(6), size: 40 }; // 13 + 17 + 5 bytes of records now
  assert.equal(await install(sd, spec), 0x9000);
  const { openSecureSession } = await import('@myna-ap/apdu');
  const s = await openSecureSession(tx(card), spec.aid, {
    keys: KEYS_A,
    keyVersion: 1,
    level: 0x13,
  });
  assert.equal(
    (await s.send(command({ ins: 0xdc, p1: 2, p2: 4, data: fromHex('aa') }))).sw,
    0x6982,
  ); // PIN first
  assert.equal((await s.send(command({ ins: 0x20, p2: 0x81, data: PIN }))).sw, 0x9000);
  assert.equal(
    (await s.send(command({ ins: 0xdc, p1: 2, p2: 4, data: fromHex('aabb') }))).sw,
    0x9000,
  );
  assert.equal(
    (await s.send(command({ ins: 0xdc, p1: 1, p2: 4, data: new Uint8Array(13) }))).sw,
    0x6985,
  );
  assert.equal(
    (await s.send(command({ ins: 0xdc, p1: 9, p2: 4, data: fromHex('01') }))).sw,
    0x6a83,
  );
  assert.equal(
    (await s.send(command({ ins: 0xdc, p1: 3, p2: 4, data: new Uint8Array(26) }))).sw,
    0x6a84,
  );
  assert.equal(
    (await s.send(command({ ins: 0xdc, p1: 3, p2: 4, data: new Uint8Array(233) }))).sw,
    0x6700,
  );
  assert.equal(
    (await s.send(command({ ins: 0xdc, p1: 3, p2: 4, data: new Uint8Array(25) }))).sw,
    0x9000,
  );
  const r = await readCardAp(tx(reloaded(card)), {
    aid: spec.aid,
    type: 'A',
    keys: KEYS_A,
    pin: PIN,
  });
  assert.deepEqual(r.records![0], fromHex('aabb'));
});

test('type D: level 33 required, responses encrypted on the wire', async () => {
  const card = blankCard();
  await install(await openArea(tx(card), 'extended'), specD(7));
  const spec = specD(7);
  const { openSecureSession } = await import('@myna-ap/apdu');
  await assert.rejects(
    openSecureSession(tx(card), spec.aid, { keys: KEYS_B, keyVersion: 1, level: 0x11 }),
    {
      code: 'SCP03_CARD_REFUSED',
      sw: 0x6982,
    },
  );
  const seen: Uint8Array[] = [];
  const spy = (b: Uint8Array) => {
    const r = card.transmit(b);
    seen.push(r);
    return r;
  };
  const r = await readCardAp(spy, { aid: spec.aid, type: 'D', keys: KEYS_B, pin: PIN });
  assert.equal(r.data.length, 242);
  const wire = Buffer.concat(seen);
  assert.equal(wire.includes(Buffer.from(r.userId)), false, 'user ID never in clear');
  assert.equal(wire.includes(Buffer.alloc(16, 0x5a)), false, 'data never in clear');
});

test("firewall: provider B's card AP keys do not open provider A's card AP", async () => {
  const card = blankCard();
  const sd = await openArea(tx(card), 'extended');
  await install(sd, specA(8));
  await install(sd, specD(9));
  await assert.rejects(readCardAp(tx(card), { aid: apAid(8), type: 'A', keys: KEYS_B, pin: PIN }), {
    code: 'SCP03_BAD_CARD_CRYPTOGRAM',
  });
  await assert.rejects(readCardAp(tx(card), { aid: apAid(9), type: 'D', keys: KEYS_A, pin: PIN }), {
    code: 'SCP03_BAD_CARD_CRYPTOGRAM',
  });
});

test('firewall: a card AP sees only its own data', async () => {
  const card = blankCard();
  const sd = await openArea(tx(card), 'local');
  const c1 = specC(10);
  const c2 = specC(11);
  await install(sd, c1);
  await install(sd, c2);
  await install(sd, specA(12));
  const t = tx(card);
  await sendPlain(t, selectAidCommand(c1.aid));
  // no file selection, no record access, no SFI addressing, no offsets past the EF
  for (const c of [
    command({ ins: 0xa4, p1: 0x02, p2: 0x0c, data: fromHex('000a') }),
    command({ ins: 0xb2, p1: 1, p2: 4, ne: 256 }),
    command({ ins: 0xb0, p1: 0x81, p2: 0, ne: 256 }),
    command({ ins: 0xb0, p1: 0, p2: 33, ne: 256 }),
    command({ ins: 0xd6, p1: 0, p2: 0, data: fromHex('00') }),
  ]) {
    const r = await sendPlain(t, c);
    assert.notEqual(r.sw, 0x9000);
    assert.equal(r.data.length, 0);
  }
  const own = await sendPlain(t, command({ ins: 0xb0, ne: 256 }));
  assert.equal(Buffer.from(own.data).includes(Buffer.from(c2.userId)), false);
  // an SD only deletes its own area's card APs
  const ext = await openArea(t, 'extended');
  assert.equal((await ext.send(deleteCommand(c1.aid))).sw, 0x6a88);
});

test('custom card AP: EF layout from the input file, free and protected EFs', async () => {
  const card = blankCard();
  const sd = await openArea(tx(card), 'extended');
  const userId = uid();
  const spec = {
    aid: apAid(20),
    type: 'custom' as const,
    size: 120,
    providerId: PROVIDER_A,
    userId,
    keys: KEYS_A,
    pin: PIN,
    efs: [
      { fid: 0x0001, size: 20, access: 'free' as const, content: fromHex('0102') },
      {
        fid: 0x0002,
        size: 64,
        access: 'protected' as const,
        content: new TextEncoder().encode('secret'),
      },
    ],
  };
  assert.equal(await install(sd, spec), 0x9000);
  const t = tx(card);
  await sendPlain(t, selectAidCommand(spec.aid));
  assert.equal(
    (await sendPlain(t, command({ ins: 0xa4, p1: 2, p2: 0x0c, data: fromHex('0001') }))).sw,
    0x9000,
  );
  const free = await sendPlain(t, command({ ins: 0xb0, ne: 256 }));
  assert.deepEqual(free.data, concat(userId, fromHex('0102'), new Uint8Array(5)));
  assert.equal(
    (await sendPlain(t, command({ ins: 0xa4, p1: 2, p2: 0x0c, data: fromHex('0002') }))).sw,
    0x9000,
  );
  assert.equal((await sendPlain(t, command({ ins: 0xb0, ne: 256 }))).sw, 0x6982);
  const { openSecureSession } = await import('@myna-ap/apdu');
  const s = await openSecureSession(t, spec.aid, { keys: KEYS_A, keyVersion: 1, level: 0x11 });
  await s.send(command({ ins: 0x20, p2: 0x81, data: PIN }));
  await s.send(command({ ins: 0xa4, p1: 2, p2: 0x0c, data: fromHex('0002') }));
  const prot = await s.send(command({ ins: 0xb0, ne: 256 }));
  assert.equal(Buffer.from(prot.data.subarray(0, 6)).toString(), 'secret');
  // sizes beyond the declared size are refused (selecting the card AP closed the SD channel)
  assert.equal(
    await install(await openArea(t, 'extended'), { ...spec, aid: apAid(21), size: 50 }),
    0x6a80,
  );
});

test('installed card APs come back from the saved image', async () => {
  const card = blankCard();
  await install(await openArea(tx(card), 'local'), specC(30));
  const copy = reloaded(card);
  const r = await readCardAp(tx(copy), { aid: apAid(30), type: 'C' });
  assert.equal(r.userId.length, 13);
  assert.deepEqual(copy.image, card.image);
  void encodeCommand;
});

test('a locked card AP PIN is reset only through its own area SD (INSTALL for personalization)', async () => {
  const card = blankCard();
  const t = tx(card);
  const spec = specA(50);
  assert.equal(await install(await openArea(t, 'local'), spec), 0x9000);
  await install(await openArea(t, 'local'), specC(51));
  const wrong = new TextEncoder().encode('0000');
  for (let i = 0; i < 3; i++) {
    await assert.rejects(readCardAp(t, { aid: spec.aid, type: 'A', keys: KEYS_A, pin: wrong }));
  }
  await assert.rejects(readCardAp(t, { aid: spec.aid, type: 'A', keys: KEYS_A, pin: PIN }), {
    sw: 0x6983,
  });
  const newPin = new TextEncoder().encode('5678');
  const send = async (
    area: 'local' | 'extended',
    cmds: ReturnType<typeof resetPinCommands>,
    level = 0x33,
  ) => {
    const s = await openArea(t, area, { level });
    let sw = 0x9000;
    for (const c of cmds) {
      sw = (await s.send(c)).sw;
      if (sw !== 0x9000) break;
    }
    return sw;
  };
  assert.equal(await send('extended', resetPinCommands(spec.aid, newPin)), 0x6a88); // other area
  assert.equal(await send('local', resetPinCommands(spec.aid, newPin), 0x11), 0x6982); // no C-DEC
  assert.equal(await send('local', resetPinCommands(apAid(51), newPin)), 0x6985); // type C has no PIN
  assert.equal(await send('local', resetPinCommands(spec.aid, fromHex('3132'))), 0x6a80); // too short
  assert.equal(await send('local', [resetPinCommands(spec.aid, newPin)[1]!]), 0x6985); // no INSTALL first
  assert.equal(await send('local', resetPinCommands(spec.aid, newPin, 5)), 0x9000);
  await assert.rejects(readCardAp(t, { aid: spec.aid, type: 'A', keys: KEYS_A, pin: PIN }), {
    sw: 0x63c4,
  });
  const r = await readCardAp(tx(reloaded(card)), {
    aid: spec.aid,
    type: 'A',
    keys: KEYS_A,
    pin: newPin,
  });
  assert.deepEqual(r.userId, spec.userId);
});

test('host helpers: install, list, capacity, delete with typed refusals', async () => {
  const card = blankCard({ capacity: { extended: 400 } });
  const t = tx(card);
  const s = await openAreaSession(t, 'extended', TEST_AREA_MASTER_KEYS);
  assert.deepEqual(await listCardAps(s), []);
  await installCardAp(s, specA(60));
  await assert.rejects(
    installCardAp(s, specA(60)),
    (e: unknown) => e instanceof CardStatusError && e.sw === 0x6a89,
  );
  await assert.rejects(
    installCardAp(s, specD(61)),
    (e: unknown) => e instanceof CardStatusError && e.sw === 0x6a84,
  );
  const cap = await areaCapacity(s);
  assert.deepEqual(cap, { cardAps: 1, total: 400, used: 288, free: 112 });
  await installCardAp(s, specC(62));
  assert.deepEqual(
    (await listCardAps(s)).map((e) => e.type),
    ['A', 'C'],
  );
  await deleteCardAp(s, apAid(60));
  await assert.rejects(
    deleteCardAp(s, apAid(60)),
    (e: unknown) => e instanceof CardStatusError && e.sw === 0x6a88,
  );
  assert.equal((await areaCapacity(s)).used, footprint({ size: 33 }));
});

test('a tampered card image is refused with a typed error', async () => {
  const card = blankCard();
  await install(await openArea(tx(card), 'extended'), specD(70));
  const good = JSON.parse(JSON.stringify(card.image.freeAreas)) as FreeAreasImage;
  const ap = good.extended.cardAps[0]!;
  const bad: unknown[] = [
    null,
    { ...good, local: { ...good.local, keys: { ...good.local.keys, enc: 'zz' } } },
    { ...good, local: { ...good.local, cardAps: [ap] } }, // same AID in both areas
    { ...good, extended: { ...good.extended, capacity: 100 } }, // more used than the capacity
    { ...good, extended: { ...good.extended, cardAps: [{ ...ap, binary: '00' }] } }, // D not its size
    { ...good, extended: { ...good.extended, cardAps: [{ ...ap, pin: undefined }] } },
  ];
  for (const b of bad) {
    assert.throws(
      () => parseFreeAreas(b),
      { code: 'FREE_AREA_IMAGE_INVALID' },
      JSON.stringify(b)?.slice(0, 80),
    );
  }
  assert.deepEqual(parseFreeAreas(good), good);
});

test('a flipped bit in any APDU of a chained install is refused, kills the session, writes nothing', async () => {
  const spec = specD(80, uid(), new Uint8Array(230).fill(7));
  const cmds = installCommands(spec, 100);
  assert.ok(cmds.length >= 3);
  let tried = 0;
  for (let j = 0; j < cmds.length; j++) {
    for (let bit = j; ; bit += 13) {
      const card = blankCard();
      const before = card.image;
      const s = await openArea(tx(card), 'extended', { level: 0x13 });
      for (let i = 0; i < j; i++) assert.equal((await s.send(cmds[i]!)).sw, 0x9000);
      const w = s.host.wrap(cmds[j]!);
      if (bit >= (w.length - 1) * 8) break; // the trailing Le is not MACed (GP)
      w[bit >> 3]! ^= 0x80 >> (bit & 7);
      const sw = parseResponse(card.transmit(w)).sw;
      assert.ok([0x6988, 0x6982, 0x6700].includes(sw), `APDU ${j} bit ${bit}: ${sw.toString(16)}`);
      const next = parseResponse(
        card.transmit(s.host.wrap(cmds[Math.min(j + 1, cmds.length - 1)]!)),
      ).sw;
      assert.notEqual(next, 0x9000, `APDU ${j} bit ${bit}: session still alive`);
      assert.equal(card.image, before);
      tried++;
    }
  }
  assert.ok(tried > 100);
});

test('provider session: type D writes, custom encrypted EF needs level 33, user ID stays read-only', async () => {
  const card = blankCard();
  const t = tx(card);
  const sd = await openArea(t, 'extended');
  const d = specD(90);
  assert.equal(await install(sd, d), 0x9000);
  const custom = {
    aid: apAid(91),
    type: 'custom' as const,
    size: 100,
    providerId: PROVIDER_A,
    userId: uid(),
    keys: KEYS_A,
    pin: PIN,
    efs: [
      { fid: 0x0101, size: 40, access: 'free' as const },
      { fid: 0x0102, size: 40, access: 'encrypted' as const, content: fromHex('cafe') },
    ],
  };
  assert.equal(await install(await openArea(t, 'extended'), custom), 0x9000);

  const sd1 = await openCardAp(t, { aid: d.aid, keys: KEYS_B, pin: PIN });
  await sd1.updateBinary(20, new Uint8Array(220).fill(0x11));
  await assert.rejects(sd1.updateBinary(5, fromHex('00')), { sw: 0x6985 });
  const back = await sd1.readBinary();
  assert.deepEqual(back.subarray(0, 13), d.userId);
  assert.deepEqual(back.subarray(20, 240), new Uint8Array(220).fill(0x11));
  assert.equal(back.length, 255);

  const weak = await openCardAp(t, { aid: custom.aid, keys: KEYS_A, pin: PIN, level: 0x11 });
  await weak.selectEf(0x0102);
  await assert.rejects(weak.readBinary(), { sw: 0x6982 });
  await weak.selectEf(0x0101);
  assert.deepEqual((await weak.readBinary()).subarray(0, 13), custom.userId);
  const strong = await openCardAp(t, { aid: custom.aid, keys: KEYS_A, pin: PIN });
  await strong.selectEf(0x0102);
  assert.deepEqual((await strong.readBinary()).subarray(0, 2), fromHex('cafe'));
  await assert.rejects(strong.selectEf(0x0103), { sw: 0x6a82 });
});
