import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basicInfoEf } from '@myna-ap/card';
import { AccessError, digestInfo, digestInfoOf, parseBasicInfo } from '../src/index.ts';

const h = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const bad = (f: () => unknown) => assert.throws(f, (e: AccessError) => e.code === 'BAD_DATA');

test('parseBasicInfo reads what the card writes, including multi-byte UTF-8', () => {
  const info = {
    name: '山田 花子',
    address: '北海道札幌市中央区北1条西2丁目',
    birthDate: '2001-12-31',
    sex: '2',
  } as const;
  assert.deepEqual(parseBasicInfo(basicInfoEf(info)), info);
});

test('parseBasicInfo refuses what it cannot vouch for', () => {
  const ok = basicInfoEf({ name: 'A', address: 'B', birthDate: '2000-01-02', sex: '9' });
  assert.equal(parseBasicInfo(ok).sex, '9');
  bad(() => parseBasicInfo(new Uint8Array(0)));
  bad(() => parseBasicInfo(h('ff 21 00')));
  bad(() => parseBasicInfo(ok.subarray(0, ok.length - 1))); // truncated
  const moved = Uint8Array.from(ok);
  moved[6] = moved[6]! + 1; // DF 21's first offset points past the DF 22 tag
  bad(() => parseBasicInfo(moved));
  const sex = Uint8Array.from(ok);
  sex[sex.length - 1] = 0x33; // '3'
  bad(() => parseBasicInfo(sex));
  const notUtf8 = basicInfoEf({ name: 'A', address: 'B', birthDate: '2000-01-02', sex: '1' });
  notUtf8[notUtf8.indexOf(0x41)] = 0xff;
  bad(() => parseBasicInfo(notUtf8));
  const birth = basicInfoEf({ name: 'A', address: 'B', birthDate: '2000-01-02', sex: '1' });
  birth[birth.indexOf(0x32)] = 0x58; // 'X' in the year
  bad(() => parseBasicInfo(birth));
  bad(() => parseBasicInfo(h('ff 20 03 df 21 00')));
});

test('digestInfo: RFC 8017 prefixes and length checks', () => {
  const di = digestInfoOf('sha256', new TextEncoder().encode('abc'));
  assert.equal(di.length, 51);
  assert.equal(
    Buffer.from(di.subarray(19)).toString('hex'),
    'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
  );
  assert.equal(digestInfoOf('sha1', new Uint8Array(0)).length, 35);
  assert.equal(digestInfoOf('sha512', new Uint8Array(0)).length, 83);
  assert.throws(() => digestInfo('sha256', new Uint8Array(20)), RangeError);
});
