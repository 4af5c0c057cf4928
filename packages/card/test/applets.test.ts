import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  X509Certificate,
  createHash,
  createPublicKey,
  publicDecrypt,
  verify as rsaVerify,
  constants,
} from 'node:crypto';
import { JPKI_TOKEN } from '@myna-ap/card';
import { isValidMyNumber } from '@myna-ap/profile';
import {
  AIDS,
  HOLDER,
  cardIssuer,
  fresh,
  issued,
  readAll,
  readTlv,
  readTlvs,
  selectAid,
  selectEf,
  tx,
  verify,
} from './fixture.ts';

const ascii = (b: Uint8Array) => Buffer.from(b).toString('latin1');
const utf8 = (b: Uint8Array) => Buffer.from(b).toString('utf8');

test('unknown AID answers 6A82 and keeps the current selection', async () => {
  const card = await fresh();
  assert.equal(selectAid(card, AIDS.jpki), 0x9000);
  assert.equal(selectAid(card, 'A000000003000000'), 0x6a82);
  assert.equal(selectEf(card, 0x000a), 0x9000, 'JPKI AP still selected');
  assert.equal(tx(card, '00B0000004').sw, 0x9000);
});

test('every AID of CARD.md selects with 90 00', async () => {
  const card = await fresh();
  for (const a of Object.values(AIDS)) assert.equal(selectAid(card, a), 0x9000, a);
});

test('JPKI: free certificates read in full; size from the DER header as OpenSC does', async () => {
  const card = await fresh();
  const { image } = await issued();
  selectAid(card, AIDS.jpki);
  for (const [fid, key] of [
    [0x000a, '000A'],
    [0x000b, '000B'],
    [0x0002, '0002'],
  ] as const) {
    assert.equal(selectEf(card, fid), 0x9000);
    const head = tx(card, '00B0000004');
    assert.equal(head.sw, 0x9000);
    const size = ((head.data[2]! << 8) | head.data[3]!) + 4;
    assert.equal(size * 2, image.jpki.files[key]!.length, 'EF holds exactly the DER');
    const all = readAll(card);
    assert.equal(all.sw, 0x9000);
    assert.equal(Buffer.from(all.data).toString('hex'), image.jpki.files[key]);
    new X509Certificate(all.data); // parses as a certificate
  }
  assert.equal(selectEf(card, 0x0006), 0x9000);
  const token = tx(card, '00B0000020');
  assert.deepEqual(token.data, JPKI_TOKEN);
  assert.equal(ascii(token.data), 'JPKIAPICCTOKEN2                 ');
});

test('JPKI: the sign certificate answers 69 82 until the sign password is verified', async () => {
  const card = await fresh();
  const { secrets } = await issued();
  selectAid(card, AIDS.jpki);
  selectEf(card, 0x0001);
  assert.equal(tx(card, '00B0000004').sw, 0x6982);
  assert.equal(tx(card, '00B0810004').sw, 0x6982, 'SFI read is guarded too');
  // the auth PIN does not open the sign certificate
  selectEf(card, 0x0018);
  assert.equal(verify(card, secrets.pin), 0x9000);
  selectEf(card, 0x0001);
  assert.equal(tx(card, '00B0000004').sw, 0x6982);
  selectEf(card, 0x001b);
  assert.equal(verify(card, secrets.signPassword), 0x9000);
  selectEf(card, 0x0001);
  const cert = new X509Certificate(readAll(card).data);
  assert.match(cert.subject + cert.subjectAltName, /./);
  // a DF change drops the verification
  selectAid(card, AIDS.text);
  selectAid(card, AIDS.jpki);
  selectEf(card, 0x0001);
  assert.equal(tx(card, '00B0000004').sw, 0x6982);
});

test('JPKI: signatures verify with the certificate public key; key needs its PIN', async () => {
  const card = await fresh();
  const { secrets } = await issued();
  const digestInfo = (msg: string) =>
    Buffer.concat([
      Buffer.from('3031300d060960864801650304020105000420', 'hex'),
      createHash('sha256').update(msg).digest(),
    ]);
  const signApdu = (di: Buffer, p2 = 0x80) =>
    Uint8Array.of(0x80, 0x2a, 0x00, p2, di.length, ...di, 0x00);
  selectAid(card, AIDS.jpki);
  selectEf(card, 0x000a);
  const authCert = new X509Certificate(readAll(card).data);
  selectEf(card, 0x0017);
  assert.equal(tx(card, signApdu(digestInfo('a'))).sw, 0x6982, 'no PIN yet');
  selectEf(card, 0x0018);
  assert.equal(verify(card, secrets.pin), 0x9000);
  assert.equal(tx(card, signApdu(digestInfo('a'))).sw, 0x6981, 'a PIN EF cannot sign');
  selectEf(card, 0x0017);
  const r = tx(card, signApdu(digestInfo('hello')));
  assert.equal(r.sw, 0x9000);
  assert.equal(r.data.length, 256);
  assert.ok(rsaVerify('sha256', Buffer.from('hello'), authCert.publicKey, r.data));
  // deterministic, and still allowed after another EF select (verification holds per DF)
  selectEf(card, 0x000a);
  selectEf(card, 0x0017);
  assert.deepEqual(tx(card, signApdu(digestInfo('hello'))).data, r.data);
  // P2 = 80|SFI names the key without SELECT
  assert.deepEqual(tx(card, signApdu(digestInfo('hello'), 0x97)).data, r.data);
  // the sign key needs the sign password, not the auth PIN
  selectEf(card, 0x001a);
  assert.equal(tx(card, signApdu(digestInfo('x'))).sw, 0x6982);
  selectEf(card, 0x001b);
  assert.equal(verify(card, secrets.signPassword), 0x9000);
  selectEf(card, 0x001a);
  const s = tx(card, signApdu(digestInfo('doc')));
  selectEf(card, 0x0001);
  const signCert = new X509Certificate(readAll(card).data);
  assert.ok(rsaVerify('sha256', Buffer.from('doc'), signCert.publicKey, s.data));
  // PKCS#1 v1.5 type 1 padding around exactly what the host sent
  const raw = publicDecrypt(
    { key: signCert.publicKey, padding: constants.RSA_PKCS1_PADDING },
    s.data,
  );
  assert.deepEqual(raw, digestInfo('doc'));
  // bad sign inputs
  selectEf(card, 0x001a);
  assert.equal(
    tx(card, Uint8Array.of(0x80, 0x2a, 0x00, 0x80, 246, ...new Uint8Array(246), 0)).sw,
    0x6a80,
  );
  assert.equal(tx(card, '802A008000').sw, 0x6700);
  assert.equal(tx(card, '802A01800100').sw, 0x6a86);
  assert.equal(tx(card, '002A00800101').sw, 0x6d00, 'the sign INS is proprietary (CLA 80)');
  // a reset drops every verification
  card.reset();
  selectAid(card, AIDS.jpki);
  selectEf(card, 0x001a);
  assert.equal(tx(card, signApdu(digestInfo('doc'))).sw, 0x6982);
});

test('READ BINARY: offsets, SFI, extended Le, end of file, wrong targets', async () => {
  const card = await fresh();
  const { image } = await issued();
  const cert = Buffer.from(image.jpki.files['000A']!, 'hex');
  selectAid(card, AIDS.jpki);
  assert.equal(tx(card, '00B0000004').sw, 0x6986, 'no current EF');
  const sfi = tx(card, '00B08A0010');
  assert.deepEqual(Buffer.from(sfi.data), cert.subarray(0, 16), 'SFI read selects and reads');
  assert.deepEqual(Buffer.from(tx(card, '00B0000208').data), cert.subarray(2, 10), 'now current');
  const ext = tx(card, '00B00000000000');
  assert.equal(ext.sw, 0x9000);
  assert.deepEqual(Buffer.from(ext.data), cert, 'extended Le 0 = 65536 returns the whole EF');
  const end = cert.length;
  const tail = tx(card, Uint8Array.of(0x00, 0xb0, (end - 3) >> 8, (end - 3) & 0xff, 0xff));
  assert.equal(tail.sw, 0x9000);
  assert.equal(tail.data.length, 3, 'min(Le, remaining)');
  assert.equal(
    tx(card, Uint8Array.of(0x00, 0xb0, end >> 8, end & 0xff, 0x10)).sw,
    0x6b00,
    'at the end',
  );
  assert.equal(tx(card, '00B07FFF01').sw, 0x6b00, 'past the end');
  assert.equal(tx(card, '00B08A1000').sw, 0x9000, 'SFI offset');
  assert.equal(tx(card, '00B0A00001').sw, 0x6a86, 'P1 100xxxxx with bits 6-5 set');
  assert.equal(tx(card, '00B09E0001').sw, 0x6a82, 'unknown SFI');
  assert.equal(tx(card, '00B00000').sw, 0x6700, 'no Le');
  assert.equal(tx(card, '00B000000100').sw, 0x6700, 'data in READ BINARY');
  assert.equal(tx(card, '00B0980001').sw, 0x6981, 'SFI of a PIN EF');
  selectEf(card, 0x0017);
  assert.equal(tx(card, '00B0000001').sw, 0x6981, 'keys are never read out');
  assert.equal(selectEf(card, 0x1234), 0x6a82);
  assert.equal(tx(card, '00B0000001').sw, 0x6981, 'failed select keeps the current EF');
  assert.equal(tx(card, '0CB0000001').sw, 0x6882, 'secure messaging CLA');
  assert.equal(tx(card, '00CA000001').sw, 0x6d00);
  assert.equal(tx(card, '00').sw, 0x6700, 'malformed APDU');
});

test('SELECT EF: P2 00/04 return an FCP with the size, P2 0C nothing, others refused', async () => {
  const card = await fresh();
  const { image } = await issued();
  selectAid(card, AIDS.jpki);
  const r = tx(card, '00A4020402000A00');
  assert.equal(r.sw, 0x9000);
  const fcp = readTlv(r.data);
  assert.equal(fcp.tag, 0x62);
  const size = readTlvs(fcp.value).find((t) => t.tag === 0x80)!.value;
  assert.equal(((size[0]! << 8) | size[1]!) * 2, image.jpki.files['000A']!.length);
  assert.deepEqual(
    tx(card, '00A4020002000A'),
    { data: new Uint8Array(0), sw: 0x9000 },
    'no Le: no FCP',
  );
  assert.equal(tx(card, '00A4020002000A05').data.length, 5, 'at most Le bytes');
  assert.equal(tx(card, '00A4000C02000A').sw, 0x9000, 'P1 00 select by FID');
  assert.deepEqual(tx(card, '00A4020C02000A').data, new Uint8Array(0));
  assert.equal(tx(card, '00A4021C02000A').sw, 0x6a86);
  assert.equal(tx(card, '00A4020C03000A00').sw, 0x6700);
  assert.equal(tx(card, '00A4040C09D392F0002601000000').sw, 0x6a82, 'partial AID');
  const fci = tx(card, '00A404000AD392F00026010000000100');
  assert.equal(fci.sw, 0x9000);
  assert.equal(readTlv(fci.data).tag, 0x6f);
});

test('券面事項入力補助AP: My Number and 4 info behind PIN 0011, in the real layout', async () => {
  const card = await fresh();
  const { secrets } = await issued();
  selectAid(card, AIDS.text);
  for (const fid of [0x0001, 0x0002, 0x0003]) {
    selectEf(card, fid);
    assert.equal(tx(card, '00B0000001').sw, 0x6982, `EF ${fid} protected`);
  }
  selectEf(card, 0x0011);
  assert.equal(verify(card, secrets.pin), 0x9000);
  selectEf(card, 0x0001);
  const mn = tx(card, '00B0000011');
  assert.equal(mn.sw, 0x9000);
  assert.equal(
    Buffer.from(mn.data).toString('hex'),
    'ff100c' + Buffer.from('123456789018').toString('hex') + 'ffff',
  );
  assert.ok(isValidMyNumber(ascii(mn.data.subarray(3, 15))));
  selectEf(card, 0x0002);
  const head = tx(card, '00B0000007');
  assert.equal(head.data[0], 0xff);
  assert.equal(head.data[1], 0x20);
  assert.ok(head.data[2]! <= 127, 'one length byte');
  const ef2 = readAll(card).data;
  assert.equal(ef2.length, head.data[2]! + 3);
  const outer = readTlv(ef2);
  assert.equal(outer.tag, 0xff20);
  const fields = readTlvs(outer.value);
  assert.deepEqual(
    fields.map((f) => f.tag),
    [0xdf21, 0xdf22, 0xdf23, 0xdf24, 0xdf25],
  );
  const offsets = fields[0]!.value;
  for (let i = 0; i < 4; i++) {
    const off = (offsets[2 * i]! << 8) | offsets[2 * i + 1]!;
    assert.equal(off, 3 + fields[i + 1]!.start, `offset of field ${i}`);
    assert.equal(ef2[off], 0xdf);
  }
  assert.equal(utf8(fields[1]!.value), HOLDER.name);
  assert.equal(utf8(fields[2]!.value), HOLDER.address);
  assert.equal(ascii(fields[3]!.value), '19900101');
  assert.equal(ascii(fields[4]!.value), '2');
  // EF 0003: hashes of EF 0001 and of EF 0002 after DF21, signed by the card issuer
  selectEf(card, 0x0003);
  const ef3 = readAll(card).data;
  const sig = readTlv(ef3);
  assert.equal(sig.tag, 0xff30);
  assert.equal(ef3.length, 336, 'EF 0003 size of CARD.md');
  assert.equal(Buffer.from(ef3.subarray(0, 5)).toString('hex'), 'ff3082014b');
  const [h1, h2, s] = readTlvs(sig.value);
  assert.deepEqual(h1!.value, new Uint8Array(createHash('sha256').update(mn.data).digest()));
  assert.deepEqual(
    h2!.value,
    new Uint8Array(
      createHash('sha256')
        .update(ef2.subarray(3 + fields[1]!.start))
        .digest(),
    ),
  );
  assert.equal(s!.value.length, 256);
  const signed = sig.value.subarray(0, s!.start);
  assert.ok(rsaVerify('sha256', signed, cardIssuer.publicKey, s!.value));
  // EF 0004 (free): the issuer's CV certificate carries the key that checks EF 0003
  const free = await fresh();
  selectAid(free, AIDS.text);
  selectEf(free, 0x0004);
  const cvcBytes = readAll(free).data;
  assert.equal(cvcBytes.length, 568, 'EF 0004 size of CARD.md');
  const cvc = readTlv(cvcBytes);
  assert.equal(cvc.tag, 0x7f21);
  const [body, cvSig] = readTlvs(cvc.value);
  assert.equal(body!.tag, 0x7f4e);
  const keyTlvs = readTlvs(body!.value.subarray(32));
  const jwk = {
    kty: 'RSA',
    e: Buffer.from(keyTlvs[0]!.value).toString('base64url'),
    n: Buffer.from(keyTlvs[1]!.value).toString('base64url'),
  };
  const pub = createPublicKey({ key: jwk, format: 'jwk' });
  assert.ok(rsaVerify('sha256', signed, pub, s!.value));
  assert.ok(
    rsaVerify('sha256', cvc.value.subarray(0, body!.end), pub, cvSig!.value),
    'CVC self-signature',
  );
  selectEf(free, 0x0005);
  assert.equal(readAll(free).data.length, 256);
});

test('券面事項入力補助AP: PIN A (My Number) opens My Number and 4 info; PIN B only the 4 info', async () => {
  const { secrets } = await issued();
  const a = await fresh();
  selectAid(a, AIDS.text);
  selectEf(a, 0x0014);
  assert.equal(verify(a, secrets.myNumber), 0x9000);
  selectEf(a, 0x0001);
  assert.equal(tx(a, '00B0000011').sw, 0x9000);
  const b = await fresh();
  selectAid(b, AIDS.text);
  selectEf(b, 0x0015);
  assert.equal(
    secrets.pinB,
    '900101' + '2036' + '4321',
    'PIN B = YYMMDD + expiry year + security code',
  );
  assert.equal(verify(b, secrets.pinB), 0x9000);
  selectEf(b, 0x0002);
  assert.equal(tx(b, '00B0000007').sw, 0x9000);
  selectEf(b, 0x0001);
  assert.equal(tx(b, '00B0000011').sw, 0x6982);
  selectEf(b, 0x0003);
  assert.equal(tx(b, '00B0000001').sw, 0x6982);
});

test('券面事項確認AP: entries behind PIN A or PIN B, tag 32 layout with images', async () => {
  const card = await fresh();
  const { secrets } = await issued();
  selectAid(card, AIDS.visual);
  selectEf(card, 0x0002);
  assert.equal(tx(card, '00B0000001').sw, 0x6982);
  selectEf(card, 0x0012);
  assert.equal(verify(card, secrets.pinB), 0x9000);
  selectEf(card, 0x0002);
  const ef = readAll(card).data;
  const outer = readTlv(ef);
  assert.equal(outer.tag, 0xff20);
  const f = readTlvs(outer.value);
  assert.deepEqual(
    f.map((x) => x.tag.toString(16)),
    ['df21', 'df22', 'df23', 'df24', 'df25', 'df26', 'df27', 'df28', 'df29', 'df2a'],
  );
  const headerLength = outer.value.byteOffset - ef.byteOffset;
  for (let i = 1; i < f.length; i++) {
    const off = (f[0]!.value[2 * (i - 1)]! << 8) | f[0]!.value[2 * (i - 1) + 1]!;
    assert.equal(off, headerLength + f[i]!.start);
  }
  assert.equal(ascii(f[1]!.value), '19900101');
  assert.equal(ascii(f[2]!.value), '2');
  const png = '89504e470d0a1a0a';
  assert.equal(Buffer.from(f[4]!.value.subarray(0, 8)).toString('hex'), png);
  assert.equal(Buffer.from(f[5]!.value.subarray(0, 8)).toString('hex'), png);
  assert.equal(
    Buffer.from(f[6]!.value.subarray(0, 12)).toString('hex'),
    '0000000c6a5020200d0a870a',
    'JP2 signature box',
  );
  assert.equal(ascii(f[8]!.value), '20360101');
  assert.equal(Buffer.from(f[9]!.value.subarray(0, 8)).toString('hex'), png);
  const signed = outer.value.subarray(f[1]!.start, f[7]!.start);
  assert.ok(rsaVerify('sha256', signed, cardIssuer.publicKey, f[7]!.value));
  // PIN A works too; a wrong PIN B does not open it
  const a = await fresh();
  selectAid(a, AIDS.visual);
  selectEf(a, 0x0013);
  assert.equal(verify(a, secrets.myNumber), 0x9000);
  selectEf(a, 0x0002);
  assert.equal(tx(a, '00B0000001').sw, 0x9000);
  const w = await fresh();
  selectAid(w, AIDS.visual);
  selectEf(w, 0x0012);
  assert.equal(verify(w, '00000000000000'), 0x63c9);
  selectEf(w, 0x0002);
  assert.equal(tx(w, '00B0000001').sw, 0x6982);
});

test('住基AP: 住民票コード behind its PIN', async () => {
  const card = await fresh();
  const { secrets } = await issued();
  selectAid(card, AIDS.juki);
  selectEf(card, 0x0001);
  assert.equal(tx(card, '00B000000B').sw, 0x6982);
  selectEf(card, 0x0011);
  assert.equal(verify(card, secrets.pin), 0x9000);
  selectEf(card, 0x0001);
  const r = tx(card, '00B0000000');
  assert.equal(r.sw, 0x9000);
  assert.equal(ascii(r.data), '98765432109');
});

test('共通カードAP: serial, municipality code and expiry are free', async () => {
  const card = await fresh();
  const { image } = await issued();
  selectAid(card, AIDS.common);
  selectEf(card, 0x0001);
  const serial = tx(card, '00B0000000');
  assert.equal(serial.sw, 0x9000);
  assert.equal(serial.data.length, 16);
  assert.equal(Buffer.from(serial.data).toString('hex'), image.common.files['0001']);
  assert.equal(ascii(tx(card, '00B0820000').data), '131016');
  assert.equal(ascii(tx(card, '00B0830000').data), '20360101');
});

test('application firewall: an EF of one AP cannot be reached from another', async () => {
  const card = await fresh();
  selectAid(card, AIDS.common);
  assert.equal(selectEf(card, 0x0017), 0x6a82, 'JPKI key EF not visible from 共通カードAP');
  assert.equal(selectEf(card, 0x0011), 0x6a82);
  selectAid(card, AIDS.visual);
  assert.equal(selectEf(card, 0x0001), 0x6a82, 'text AP My Number not visible from visual AP');
  assert.equal(tx(card, '00B0810000').sw, 0x6a82);
});
