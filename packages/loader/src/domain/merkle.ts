/**
 * The Merkle tree of the audit log (監査ログ), RFC 9162 §2.1: leaves hashed
 * SHA-256(0x00 ‖ data), nodes SHA-256(0x01 ‖ left ‖ right), a tree of n leaves
 * split at the largest power of two below n. Pure: which subtrees a proof is made
 * of (`inclusionPath`, `consistencyPath`, `perfectParts`) is decided here from
 * sizes alone; the store fetches those hashes and folds them with `foldParts`.
 * The verifiers follow the RFC's §2.1.3.2 and §2.1.4.2 step by step.
 */
import { createHash } from 'node:crypto';

export type Hash = Uint8Array;

/** Leaves [start, end) of the tree: one subtree hash in a proof. */
export interface Range {
  readonly start: number;
  readonly end: number;
}

function sha256(...parts: Uint8Array[]): Hash {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

const LEAF = Uint8Array.of(0);
const NODE = Uint8Array.of(1);

export function leafHash(data: Uint8Array): Hash {
  return sha256(LEAF, data);
}

export function nodeHash(left: Hash, right: Hash): Hash {
  return sha256(NODE, left, right);
}

/** MTH({}): the hash of the empty string. */
export const EMPTY_ROOT: Hash = sha256();

export function equalHash(a: Hash, b: Hash): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function checkSize(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a whole number ≥ 0`);
}

/** k with k < n ≤ 2k, a power of two (n ≥ 2): where the RFC splits a tree. */
export function splitPoint(n: number): number {
  if (!Number.isSafeInteger(n) || n < 2)
    throw new RangeError('a tree of fewer than 2 leaves has no split');
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/**
 * The aligned perfect subtrees a range of the RFC's recursion is made of, left
 * to right ([0, 7) → [0,4) [4,6) [6,7)). Each is one stored node.
 */
export function perfectParts(r: Range): Range[] {
  const out: Range[] = [];
  let a = r.start;
  while (a < r.end) {
    const n = r.end - a;
    const k = isPowerOfTwo(n) ? n : splitPoint(n);
    out.push({ start: a, end: a + k });
    a += k;
  }
  return out;
}

/** The hash of a range from the hashes of its `perfectParts` (MTH's recursion, right to left). */
export function foldParts(parts: readonly Hash[]): Hash {
  if (parts.length === 0) return EMPTY_ROOT;
  let h = parts[parts.length - 1]!;
  for (let i = parts.length - 2; i >= 0; i--) h = nodeHash(parts[i]!, h);
  return h;
}

/** MTH(D[n]) of leaf hashes, in memory (tests, small trees, the verifier of a whole log). */
export function rootOf(leaves: readonly Hash[]): Hash {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leaves[0]!;
  const k = splitPoint(leaves.length);
  return nodeHash(rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}

/** PATH(m, D[n]) (§2.1.3.1): the subtrees whose hashes prove leaf m, leaf side first. */
export function inclusionPath(index: number, size: number): Range[] {
  checkSize(index, 'the leaf index');
  checkSize(size, 'the tree size');
  if (index >= size) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const out: Range[] = [];
  let [lo, hi, m] = [0, size, index];
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (m < k) {
      out.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      out.push({ start: lo, end: lo + k });
      lo += k;
      m -= k;
    }
  }
  return out.reverse();
}

/** PROOF(m, D[n]) (§2.1.4.1): the subtrees that prove tree m is a prefix of tree n. */
export function consistencyPath(first: number, second: number): Range[] {
  checkSize(first, 'the first size');
  checkSize(second, 'the second size');
  if (first < 1 || first > second)
    throw new RangeError(`no consistency proof from ${first} to ${second}`);
  const out: Range[] = [];
  let [lo, hi, m, whole] = [0, second, first, true];
  while (m !== hi - lo) {
    const k = splitPoint(hi - lo);
    if (m <= k) {
      out.push({ start: lo + k, end: hi });
      hi = lo + k;
    } else {
      out.push({ start: lo, end: lo + k });
      lo += k;
      m -= k;
      whole = false;
    }
  }
  if (!whole) out.push({ start: lo, end: hi });
  return out.reverse();
}

/** §2.1.3.2: does `proof` show `leaf` at `index` in the tree of `size` with `root`? */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Hash,
  proof: readonly Hash[],
  root: Hash,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size)
    return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHash(r, root);
}

/** §2.1.4.2: does `proof` show the tree of `first` with `firstRoot` is a prefix of `second`'s? */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Hash,
  secondRoot: Hash,
  proof: readonly Hash[],
): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second)) return false;
  if (first < 1 || first > second) return false;
  if (first === second) return proof.length === 0 && equalHash(firstRoot, secondRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalHash(fr, firstRoot) && equalHash(sr, secondRoot);
}

/**
 * The right edge of a tree: the hashes of `perfectParts([0, size))`. Enough to
 * append leaves and to know the root, without reading the tree.
 */
export interface Frontier {
  readonly size: number;
  readonly parts: readonly Hash[];
}

export const EMPTY_FRONTIER: Frontier = { size: 0, parts: [] };

/** A node made by `appendLeaves`: the subtree `range`'s hash, to be stored. */
export interface MadeNode {
  readonly range: Range;
  readonly hash: Hash;
}

/**
 * Appends leaves to a tree known by its frontier: the new frontier and every
 * perfect subtree of two or more leaves completed on the way (what the store keeps
 * so proofs never need the leaves of a whole subtree).
 */
export function appendLeaves(
  f: Frontier,
  leaves: readonly Hash[],
): { frontier: Frontier; made: MadeNode[] } {
  const want = perfectParts({ start: 0, end: f.size });
  if (want.length !== f.parts.length) throw new RangeError('the frontier does not match its size');
  const stack: { range: Range; hash: Hash }[] = want.map((range, i) => ({
    range,
    hash: f.parts[i]!,
  }));
  const made: MadeNode[] = [];
  let size = f.size;
  for (const leaf of leaves) {
    let top = { range: { start: size, end: size + 1 }, hash: leaf };
    size++;
    for (;;) {
      const below = stack[stack.length - 1];
      if (!below || below.range.end - below.range.start !== top.range.end - top.range.start) break;
      stack.pop();
      top = {
        range: { start: below.range.start, end: top.range.end },
        hash: nodeHash(below.hash, top.hash),
      };
      made.push(top);
    }
    stack.push(top);
  }
  return { frontier: { size, parts: stack.map((s) => s.hash) }, made };
}

/** The root of the tree a frontier stands for. */
export function frontierRoot(f: Frontier): Hash {
  return foldParts(f.parts);
}

/** The level of a perfect subtree (log2 of its width), as stored. */
export function levelOf(r: Range): number {
  const w = r.end - r.start;
  if (!isPowerOfTwo(w) || r.start % w !== 0) throw new RangeError('not an aligned perfect subtree');
  return Math.log2(w);
}
