/**
 * Benchmark: our BER-TLV parser against asn1js (the peer pkijs builds on), side by
 * side on the same bytes, plus APDU parse/encode/describe throughput.
 *
 *   node --import tsx packages/apdu/bench/tlv.bench.ts [entries] [large]
 *
 * The TLV input is shaped like a CRL's revoked list: SEQUENCE { SEQUENCE { INTEGER
 * serial, UTCTime } × entries }, the big structure the identity platform parses.
 * asn1js decodes values into objects (more work than we do); the ratio says what
 * a raw TLV walk saves, not that asn1js is slow at what it does.
 */
import { fromBER } from 'asn1js';
import {
  command,
  concat,
  concatAll,
  describeCommand,
  encodeCommand,
  encodeTlv,
  fromHex,
  parseCommand,
  parseTlv,
  type TlvNode,
} from '@myna-ap/apdu';

// asn1js refuses inputs past its node-count limit (~3,000 CRL entries, CARD.md), so
// the side-by-side run stays under it; ours then runs alone on a large list.
const entries = Number(process.argv[2] ?? 2_000);
const large = Number(process.argv[3] ?? 1_000_000);

function revokedList(n: number): Uint8Array {
  const time = encodeTlv(0x17, new TextEncoder().encode('261123000000Z'));
  const items: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const serial = Uint8Array.of(0x01, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff);
    items.push(encodeTlv(0x30, concat(encodeTlv(0x02, serial), time)));
  }
  return encodeTlv(0x30, concatAll(items));
}

function timeIt(label: string, runs: number, f: () => void): number {
  f(); // warm up
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    f();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  console.log(`${label.padEnd(44)} median ${median.toFixed(2)} ms`);
  return median;
}

const der = revokedList(entries);
console.log(`TLV: ${entries} revoked entries, ${(der.length / 1e6).toFixed(2)} MB`);

let count = 0;
const ours = timeIt('@myna-ap/apdu parseTlv (full tree)', 7, () => {
  const root: TlvNode = parseTlv(der, { maxDepth: 4 });
  count = root.children?.length ?? 0;
});
if (count !== entries) throw new Error(`parsed ${count} entries, expected ${entries}`);

/** Heap held by what `f` returns, when run with --expose-gc (else undefined). */
function heldBy(f: () => unknown): { mb: number | undefined; value: unknown } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const value = f();
  gc?.();
  const mb = gc ? (process.memoryUsage().heapUsed - before) / 1e6 : undefined;
  return { mb, value };
}

let peerCount = 0;
const peer = timeIt('asn1js fromBER (peer)', 7, () => {
  const r = fromBER(der);
  if (r.offset === -1) throw new Error(r.result.error);
  peerCount = (r.result.valueBlock as unknown as { value: unknown[] }).value.length;
});
if (peerCount !== entries) throw new Error(`asn1js parsed ${peerCount} entries`);

const oursHeap = heldBy(() => parseTlv(der, { maxDepth: 4 }));
const peerHeap = heldBy(() => fromBER(der));
const mb = (x: number | undefined) =>
  x === undefined ? 'n/a (run with --expose-gc)' : `${x.toFixed(2)} MB`;
console.log(
  `ratio asn1js / ours: ${(peer / ours).toFixed(1)}× time; ` +
    `heap held: ours ${mb(oursHeap.mb)}, asn1js ${mb(peerHeap.mb)}`,
);

const big = revokedList(large);
let bigCount = 0;
const bigMs = timeIt(
  `parseTlv alone, ${large} entries (${(big.length / 1e6).toFixed(1)} MB)`,
  3,
  () => {
    bigCount = parseTlv(big, { maxDepth: 4 }).children?.length ?? 0;
  },
);
if (bigCount !== large) throw new Error(`parsed ${bigCount} entries, expected ${large}`);
try {
  const r = fromBER(big);
  console.log(
    r.offset === -1
      ? `asn1js on the large list: refused (${r.result.error})`
      : 'asn1js parsed the large list too',
  );
} catch (e) {
  console.log(`asn1js on the large list: threw ${(e as Error).message}`);
}
const bigHeap = heldBy(() => parseTlv(big, { maxDepth: 4 }));
console.log(`heap held by our tree of the large list: ${mb(bigHeap.mb)}`);
console.log(`ours on the large list: ${((bigMs * 1e6) / large).toFixed(0)} ns/entry`);

// APDUs: the per-command cost the card emulator and hosts pay.
const apdus = [
  fromHex('00A4040C0AD392F000260100000001'),
  fromHex('00B0000000'),
  fromHex('0020008004 31323334'),
  encodeCommand(command({ cla: 0x80, ins: 0x2a, p2: 0x80, data: new Uint8Array(51), ne: 256 })),
];
const N = 1_000_000;
const parse = timeIt(`parseCommand + encodeCommand × ${N}`, 5, () => {
  for (let i = 0; i < N; i++) encodeCommand(parseCommand(apdus[i & 3]!));
});
const desc = timeIt(`describeCommand × ${N / 10}`, 5, () => {
  for (let i = 0; i < N / 10; i++) describeCommand(apdus[i & 3]!);
});
console.log(
  `per APDU: parse+encode ${((parse * 1e6) / N).toFixed(0)} ns, describe ${((desc * 1e6) / (N / 10)).toFixed(0)} ns`,
);
