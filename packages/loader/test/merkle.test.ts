import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  EMPTY_FRONTIER,
  EMPTY_ROOT,
  appendLeaves,
  consistencyPath,
  foldParts,
  frontierRoot,
  inclusionPath,
  leafHash,
  levelOf,
  nodeHash,
  perfectParts,
  rootOf,
  splitPoint,
  verifyConsistency,
  verifyInclusion,
  type Hash,
  type Range,
} from '../src/domain/merkle.ts';

// The RFC's definitions written out literally, on the leaves' data, with their own
// hashing: what the module computes from sizes alone must agree with them.
const sha = (b: Buffer): Buffer => createHash('sha256').update(b).digest();
const H0 = (d: Buffer): Buffer => sha(Buffer.concat([Buffer.of(0), d]));
const H1 = (l: Buffer, r: Buffer): Buffer => sha(Buffer.concat([Buffer.of(1), l, r]));
function bigK(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}
function MTH(d: Buffer[]): Buffer {
  if (d.length === 0) return sha(Buffer.alloc(0));
  if (d.length === 1) return H0(d[0]!);
  const k = bigK(d.length);
  return H1(MTH(d.slice(0, k)), MTH(d.slice(k)));
}
function PATH(m: number, d: Buffer[]): Buffer[] {
  if (d.length === 1) return [];
  const k = bigK(d.length);
  return m < k
    ? [...PATH(m, d.slice(0, k)), MTH(d.slice(k))]
    : [...PATH(m - k, d.slice(k)), MTH(d.slice(0, k))];
}
function SUBPROOF(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [MTH(d)];
  const k = bigK(d.length);
  return m <= k
    ? [...SUBPROOF(m, d.slice(0, k), b), MTH(d.slice(k))]
    : [...SUBPROOF(m - k, d.slice(k), false), MTH(d.slice(0, k))];
}

// RFC 6962's test leaves; the roots below were computed with Python's hashlib
// from the RFC's definition (they are also the published CT test vectors).
const DATA = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => Buffer.from(h, 'hex'));
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const hex = (h: Hash): string => Buffer.from(h).toString('hex');

// A bigger tree for the exhaustive checks: 41 leaves, every shape up to 2^5+9.
const MANY = Array.from({ length: 41 }, (_, i) => Buffer.from(`row ${i}`));
const LEAVES = MANY.map((d) => leafHash(d));
const resolve = (r: Range): Hash => rootOf(LEAVES.slice(r.start, r.end));

test('leaf, node and root hashes are RFC 6962/9162 (vectors computed outside)', () => {
  assert.equal(hex(EMPTY_ROOT), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(hex(leafHash(new Uint8Array())), ROOTS[0]);
  const leaves = DATA.map((d) => leafHash(d));
  for (let n = 1; n <= 8; n++)
    assert.equal(hex(rootOf(leaves.slice(0, n))), ROOTS[n - 1], `size ${n}`);
  assert.equal(hex(rootOf([])), hex(EMPTY_ROOT));
  // The 0x00/0x01 prefixes matter: a node is not the hash of the two hashes glued.
  const [a, b] = [leaves[0]!, leaves[1]!];
  assert.notEqual(hex(nodeHash(a, b)), hex(leafHash(Buffer.concat([a, b]))));
  assert.notEqual(hex(nodeHash(a, b)), hex(nodeHash(b, a)));
});

test('splitPoint and perfectParts: the recursion of MTH by sizes', () => {
  assert.deepEqual([2, 3, 4, 5, 8, 9, 1024, 1025].map(splitPoint), [1, 2, 2, 4, 4, 8, 512, 1024]);
  assert.throws(() => splitPoint(1), RangeError);
  assert.throws(() => splitPoint(0), RangeError);
  assert.deepEqual(perfectParts({ start: 0, end: 7 }), [
    { start: 0, end: 4 },
    { start: 4, end: 6 },
    { start: 6, end: 7 },
  ]);
  assert.deepEqual(perfectParts({ start: 8, end: 16 }), [{ start: 8, end: 16 }]);
  assert.deepEqual(perfectParts({ start: 0, end: 0 }), []);
  for (let n = 0; n <= 40; n++) {
    const parts = perfectParts({ start: 0, end: n });
    assert.equal(hex(foldParts(parts.map(resolve))), hex(rootOf(LEAVES.slice(0, n))), `size ${n}`);
    for (const p of parts) assert.equal(p.start % (p.end - p.start), 0); // aligned: a stored node
  }
  assert.deepEqual([levelOf({ start: 0, end: 1 }), levelOf({ start: 8, end: 16 })], [0, 3]);
  assert.throws(() => levelOf({ start: 2, end: 6 }), RangeError);
  assert.throws(() => levelOf({ start: 0, end: 3 }), RangeError);
});

test('inclusion proofs: equal to the RFC PATH for every leaf of every size to 40; verified', () => {
  for (let n = 1; n <= 40; n++) {
    const root = rootOf(LEAVES.slice(0, n));
    assert.equal(hex(root), MTH(MANY.slice(0, n)).toString('hex'));
    for (let m = 0; m < n; m++) {
      const proof = inclusionPath(m, n).map(resolve);
      assert.deepEqual(
        proof.map(hex),
        PATH(m, MANY.slice(0, n)).map((b) => b.toString('hex')),
        `${m}/${n}`,
      );
      assert.ok(verifyInclusion(m, n, LEAVES[m]!, proof, root), `${m}/${n}`);
      // Wrong index, wrong size (off by one), wrong leaf, truncated, extended: refused.
      if (n > 1) assert.ok(!verifyInclusion((m + 1) % n, n, LEAVES[m]!, proof, root));
      // Against the tree one larger or smaller (its own root): refused.
      const bigger = rootOf(LEAVES.slice(0, n + 1));
      assert.ok(!verifyInclusion(m, n + 1, LEAVES[m]!, proof, bigger), `size+1 ${m}/${n}`);
      if (m < n - 1) {
        const smaller = rootOf(LEAVES.slice(0, n - 1));
        assert.ok(!verifyInclusion(m, n - 1, LEAVES[m]!, proof, smaller), `size-1 ${m}/${n}`);
      }
      assert.ok(!verifyInclusion(m, n, LEAVES[(m + 1) % 40]!, proof, root), 'other leaf');
      if (proof.length > 0) {
        assert.ok(!verifyInclusion(m, n, LEAVES[m]!, proof.slice(0, -1), root), 'truncated');
        const bad = proof.map((p) => Uint8Array.from(p));
        bad[0]![0]! ^= 1;
        assert.ok(!verifyInclusion(m, n, LEAVES[m]!, bad, root), 'flipped bit');
      }
      assert.ok(!verifyInclusion(m, n, LEAVES[m]!, [...proof, LEAVES[0]!], root), 'extended');
    }
  }
  // Size 1: the leaf is the root, the proof empty.
  assert.deepEqual(inclusionPath(0, 1), []);
  assert.ok(verifyInclusion(0, 1, LEAVES[0]!, [], LEAVES[0]!));
  assert.ok(!verifyInclusion(0, 1, LEAVES[0]!, [], LEAVES[1]!));
  assert.throws(() => inclusionPath(3, 3), RangeError);
  assert.throws(() => inclusionPath(-1, 3), RangeError);
  assert.throws(() => inclusionPath(0, 0), RangeError);
  assert.ok(!verifyInclusion(3, 3, LEAVES[3]!, [], LEAVES[3]!));
  assert.ok(!verifyInclusion(-1, 3, LEAVES[0]!, [], LEAVES[0]!));
  // A power of two: log2(n) hashes, each a perfect subtree.
  assert.equal(inclusionPath(5, 32).length, 5);
  assert.equal(inclusionPath(31, 33).length, 6);
  assert.equal(inclusionPath(32, 33).length, 1);
});

test('consistency proofs: equal to the RFC PROOF for every pair of sizes to 40; verified', () => {
  const roots = Array.from({ length: 42 }, (_, n) => rootOf(LEAVES.slice(0, n)));
  for (let n = 1; n <= 40; n++) {
    for (let m = 1; m <= n; m++) {
      const proof = consistencyPath(m, n).map(resolve);
      assert.deepEqual(
        proof.map(hex),
        SUBPROOF(m, MANY.slice(0, n), true).map((b) => b.toString('hex')),
        `${m}→${n}`,
      );
      assert.ok(verifyConsistency(m, n, roots[m]!, roots[n]!, proof), `${m}→${n}`);
      if (m < n) {
        // Another old root, another new root, sizes off by one, a truncated proof: refused.
        assert.ok(
          !verifyConsistency(m, n, roots[m - 1] ?? roots[n]!, roots[n]!, proof),
          `old ${m}→${n}`,
        );
        assert.ok(!verifyConsistency(m, n, roots[m]!, roots[n - 1]!, proof), `new ${m}→${n}`);
        assert.ok(!verifyConsistency(m, n + 1, roots[m]!, roots[n + 1]!, proof), `n+1 ${m}→${n}`);
        if (m > 1)
          assert.ok(!verifyConsistency(m - 1, n, roots[m - 1]!, roots[n]!, proof), `m-1 ${m}→${n}`);
        assert.ok(
          !verifyConsistency(m, n, roots[m]!, roots[n]!, proof.slice(0, -1)),
          `cut ${m}→${n}`,
        );
        assert.ok(!verifyConsistency(m, n, roots[m]!, roots[n]!, []), `empty ${m}→${n}`);
      }
    }
  }
  // A tree whose old part was rewritten is not consistent with the old root.
  const forged = [...LEAVES.slice(0, 10)];
  forged[3] = leafHash(Buffer.from('forged'));
  const forgedRoot = rootOf(forged);
  const proof = consistencyPath(6, 10).map((r) => rootOf(forged.slice(r.start, r.end)));
  assert.ok(!verifyConsistency(6, 10, roots[6]!, forgedRoot, proof));
  // Equal sizes: an empty proof and equal roots only.
  assert.deepEqual(consistencyPath(7, 7), []);
  assert.ok(verifyConsistency(7, 7, roots[7]!, roots[7]!, []));
  assert.ok(!verifyConsistency(7, 7, roots[7]!, roots[8]!, []));
  assert.ok(!verifyConsistency(7, 7, roots[7]!, roots[7]!, [roots[1]!]));
  for (const [m, n] of [
    [0, 5],
    [6, 5],
    [-1, 2],
  ] as const) {
    assert.throws(() => consistencyPath(m, n), RangeError);
    assert.ok(!verifyConsistency(m, n, roots[1]!, roots[5]!, [roots[2]!]));
  }
});

test('appendLeaves: a frontier grown in any batches gives the same root and stores every perfect node', () => {
  for (const cut of [1, 2, 3, 7, 16, 40]) {
    let f = EMPTY_FRONTIER;
    const made = new Map<string, string>();
    for (let i = 0; i < 40; i += cut) {
      const r = appendLeaves(f, LEAVES.slice(i, Math.min(i + cut, 40)));
      f = r.frontier;
      for (const m of r.made) made.set(`${m.range.start}-${m.range.end}`, hex(m.hash));
      assert.equal(
        hex(frontierRoot(f)),
        hex(rootOf(LEAVES.slice(0, f.size))),
        `cut ${cut} at ${f.size}`,
      );
    }
    assert.equal(f.size, 40);
    // 40 leaves: 20 + 10 + 5 + 2 + 1 perfect nodes of two or more leaves.
    assert.equal(made.size, 38, `cut ${cut}`);
    for (const [k, h] of made) {
      const [s, e] = k.split('-').map(Number) as [number, number];
      assert.equal(h, hex(rootOf(LEAVES.slice(s, e))));
    }
  }
  assert.throws(() => appendLeaves({ size: 3, parts: [LEAVES[0]!] }, []), RangeError);
  assert.equal(hex(frontierRoot(EMPTY_FRONTIER)), hex(EMPTY_ROOT));
});
