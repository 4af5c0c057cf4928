import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SerialTable } from '../src/serialTable.ts';
import { REVOCATION_REASONS, normalizeSerial, type RevocationReason } from '@myna-ap/pki';
import { FUZZ_SEED, fuzzCount } from './fuzz.ts';
import { seededRandom } from '@myna-ap/apdu';

test('the serial table agrees with a Map on random issues and revocations (hex in strings and bytes, any case, leading zeros)', () => {
  const rand = seededRandom(FUZZ_SEED);
  const int = (n: number) => Math.floor(rand() * n);
  const table = new SerialTable();
  const model = new Map<string, { kind: 'auth' | 'sign'; rev?: [RevocationReason, number] }>();
  const serials: string[] = [];
  const n = fuzzCount(20_000, 1_000_000);
  for (let i = 0; i < n; i++) {
    const op = int(10);
    if (op < 5 || serials.length === 0) {
      const len = 1 + int(20);
      let hex = '';
      for (let k = 0; k < len; k++)
        hex += (k === 0 ? 1 + int(255) : int(256)).toString(16).padStart(2, '0');
      const kind = int(2) ? 'sign' : 'auth';
      // written as the issuer's records may spell it: upper case, a leading 00
      const spelled = int(3) === 0 ? '00' + hex.toUpperCase() : hex;
      // as a string, or as a range of a byte buffer (a line of issued.jsonl)
      const buf = Buffer.from(`x${spelled}y`, 'latin1');
      assert.ok(
        int(2)
          ? table.issued(spelled, 0, spelled.length, kind)
          : table.issued(buf, 1, buf.length - 1, kind),
      );
      const key = normalizeSerial(hex)!;
      model.set(key, { ...model.get(key), kind });
      serials.push(key);
    } else if (op < 8) {
      const s = serials[int(serials.length)]!;
      const reason = REVOCATION_REASONS[int(REVOCATION_REASONS.length)]!;
      const at = 1_700_000_000_000 + int(1e9);
      assert.ok(table.revoked(s, 0, s.length, model.get(s)!.kind, reason, at));
      model.get(s)!.rev = [reason, at];
    } else {
      const s = serials[int(serials.length)]!;
      const i = table.indexOf(s);
      assert.ok(i >= 0, s);
      assert.equal(table.kindOf(i), model.get(s)!.kind);
      assert.equal(table.serialOf(i), s);
      const rev = table.revocationOf(i);
      const want = model.get(s)!.rev;
      assert.deepEqual(rev && [rev.reason, rev.atMs], want, `seed ${FUZZ_SEED}: ${s}`);
    }
  }
  assert.equal(table.size, model.size);
  for (const [s, v] of model) {
    const i = table.indexOf(s.toUpperCase());
    assert.equal(table.kindOf(i), v.kind);
  }
  let revoked = 0;
  for (const kind of ['auth', 'sign'] as const) table.forEachRevoked(kind, () => revoked++);
  assert.equal(revoked, [...model.values()].filter((v) => v.rev).length);
  assert.equal(table.indexOf('zz'), -1, 'not hex');
  assert.equal(table.indexOf(''), -1, 'empty');
  assert.equal(table.issued('00'.repeat(40), 0, 80, 'sign'), false, 'longer than a serial');
  assert.ok(table.byteSize < 200 * table.size + (1 << 20), 'flat arrays, no object per entry');
});
