/**
 * Fuzz: random and mutated byte strings into every parser of the package. Each input
 * must either parse to a value that re-encodes consistently, or raise `ApduError` —
 * never anything else (a TypeError, a RangeError, a hang).
 *
 * Normal run: 100,000 inputs with a fixed seed. `MYNA_SOAK=1`: 5,000,000 with a fresh
 * seed. `MYNA_FUZZ_SEED=n` replays a run; the seed is printed either way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApduError,
  bytesEqual,
  command,
  concat,
  describeCommand,
  describeResponse,
  encodeCommand,
  encodeResponse,
  encodeTlv,
  encodeTlvConstructed,
  encodeTlvLength,
  exchange,
  formatTlv,
  pad80,
  parseCommand,
  parseResponse,
  parseTlv,
  parseTlvAll,
  peekTlvHeader,
  tagBytes,
  toHex,
  unpad80,
  type TlvNode,
  seededRandom,
} from '@myna-ap/apdu';

const SOAK = process.env.MYNA_SOAK === '1';
const ITERATIONS = SOAK ? 5_000_000 : 100_000;
const SEED = Number(process.env.MYNA_FUZZ_SEED ?? (SOAK ? Date.now() % 2 ** 31 : 20261123)) >>> 0;

const rand = seededRandom(SEED);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
/** Bytes that sit on length and tag boundaries. */
const SPECIAL = [0x00, 0x01, 0x1f, 0x20, 0x7f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0xdf, 0xff];

function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rand() < 0.3 ? pick(SPECIAL) : int(256);
  return b;
}

function randomTlv(depth: number): Uint8Array {
  const tags = [0x4f, 0x50, 0x5a, 0x5f24, 0xdf21, 0xdf22, 0x9f8101, 0x04];
  const ctags = [0x6f, 0x61, 0xa5, 0x30, 0xff20, 0xff30, 0x7f21, 0xe3];
  if (depth > 0 && rand() < 0.4) {
    const kids = Array.from({ length: int(4) }, () => randomTlv(depth - 1));
    return encodeTlvConstructed(pick(ctags), kids);
  }
  return encodeTlv(pick(tags), randomBytes(rand() < 0.05 ? 130 + int(200) : int(12)));
}

/** Valid inputs to mutate: APDUs of every case, TLV trees, padded blocks. */
function corpus(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const init of [
    { ins: 0xa4, p1: 4, p2: 0x0c, data: randomBytes(10) },
    { ins: 0xb0, ne: 256 },
    { ins: 0xb0, ne: 300 },
    { ins: 0x20, p2: 0x80 },
    { ins: 0x20, p2: 0x80, data: randomBytes(4) },
    { cla: 0x80, ins: 0x2a, p2: 0x80, data: randomBytes(51), ne: 256 },
    { ins: 0xd6, data: randomBytes(300) },
    { ins: 0x2a, data: randomBytes(260), ne: 65536 },
  ]) {
    out.push(encodeCommand(command(init)));
  }
  for (let i = 0; i < 24; i++) out.push(randomTlv(3));
  out.push(concat(randomTlv(2), randomTlv(2), randomTlv(1)));
  for (const n of [0, 1, 15, 16, 17, 31]) {
    out.push(pad80(randomBytes(n)));
    out.push(pad80(randomBytes(n), 8));
  }
  out.push(concat(randomBytes(17), Uint8Array.of(0x90, 0x00)));
  return out;
}

function mutate(src: Uint8Array): Uint8Array {
  let b: Uint8Array = Uint8Array.from(src);
  const rounds = 1 + int(3);
  for (let r = 0; r < rounds; r++) {
    const at = b.length === 0 ? 0 : int(b.length);
    switch (int(7)) {
      case 0: // flip a bit
        if (b.length > 0) b[at]! ^= 1 << int(8);
        break;
      case 1: // boundary byte
        if (b.length > 0) b[at] = pick(SPECIAL);
        break;
      case 2: // truncate
        b = b.slice(0, at);
        break;
      case 3: // insert
        b = concat(b.subarray(0, at), randomBytes(1 + int(3)), b.subarray(at));
        break;
      case 4: // delete
        b = concat(b.subarray(0, at), b.subarray(at + 1 + int(3)));
        break;
      case 5: // append garbage
        b = concat(b, randomBytes(1 + int(4)));
        break;
      default: // duplicate a chunk
        b = concat(b, b.subarray(at, at + 1 + int(8)));
    }
  }
  return b;
}

class FuzzFailure extends Error {}

function fail(what: string, input: Uint8Array, detail: string): never {
  throw new FuzzFailure(
    `${what} on ${toHex(input)} (seed ${SEED}): ${detail}. Replay: MYNA_FUZZ_SEED=${SEED}`,
  );
}

/** Runs `f`; an `ApduError` is a fine answer, anything else fails the run. */
function attempt<T>(what: string, input: Uint8Array, f: () => T): T | undefined {
  try {
    return f();
  } catch (e) {
    if (e instanceof ApduError) return undefined;
    if (e instanceof FuzzFailure) throw e;
    fail(what, input, `threw ${String(e)}`);
  }
}

const minimalHeader = (n: TlvNode) =>
  n.headerLength === tagBytes(n.tag).length + encodeTlvLength(n.value.length).length;

/** A parsed node is consistent with the bytes it came from, down the tree. */
function checkNode(input: Uint8Array, n: TlvNode): void {
  const raw = input.subarray(n.offset, n.end);
  if (n.end - n.offset !== n.headerLength + n.value.length) fail('parseTlv', input, 'bad span');
  if (!bytesEqual(raw.subarray(0, tagBytes(n.tag).length), tagBytes(n.tag))) {
    fail('parseTlv', input, `tag ${n.tag.toString(16)} is not its raw bytes`);
  }
  const again = parseTlv(encodeTlv(n.tag, n.value), { children: 'try' });
  if (again.tag !== n.tag || !bytesEqual(again.value, n.value)) {
    fail('parseTlv', input, 're-encoded node parses differently');
  }
  if (minimalHeader(n) && !bytesEqual(encodeTlv(n.tag, n.value), raw)) {
    fail('parseTlv', input, 'minimal node does not re-encode to its bytes');
  }
  if (n.children) {
    let at = n.offset + n.headerLength;
    for (const c of n.children) {
      if (c.offset !== at) fail('parseTlv', input, 'children do not tile the value');
      checkNode(input, c);
      at = c.end;
    }
    if (at !== n.end) fail('parseTlv', input, 'children do not fill the value');
  }
}

function checkSequence(input: Uint8Array, nodes: TlvNode[], whole: boolean): void {
  let at = 0;
  for (const n of nodes) {
    if (n.offset !== at) fail('parseTlvAll', input, 'objects do not tile the input');
    checkNode(input, n);
    at = n.end;
  }
  if (whole && at !== input.length) fail('parseTlvAll', input, 'objects do not fill the input');
}

function checkOne(b: Uint8Array): void {
  const c = attempt('parseCommand', b, () => parseCommand(b));
  if (c && !bytesEqual(encodeCommand(c), b)) fail('parseCommand', b, 're-encodes differently');
  if (typeof describeCommand(b) !== 'string') fail('describeCommand', b, 'no string');

  const r = attempt('parseResponse', b, () => parseResponse(b, { strict: int(2) === 0 }));
  if (r && !bytesEqual(encodeResponse(r), b)) fail('parseResponse', b, 're-encodes differently');
  if (typeof describeResponse(b) !== 'string') fail('describeResponse', b, 'no string');

  const one = attempt('parseTlv', b, () => parseTlv(b));
  if (one) {
    if (one.offset !== 0 || one.end !== b.length) fail('parseTlv', b, 'does not fill the input');
    checkNode(b, one);
    formatTlv(one);
  }
  const head = attempt('peekTlvHeader', b, () => peekTlvHeader(b));
  if (one && (!head || head.tag !== one.tag || head.headerLength !== one.headerLength)) {
    fail('peekTlvHeader', b, 'header differs from the parsed node');
  }
  const lenient = attempt('parseTlv', b, () => parseTlv(b, { strict: false }));
  if (lenient) checkNode(b, lenient);
  if (one && !lenient) fail('parseTlv', b, 'strict parses but lenient does not');
  const all = attempt('parseTlvAll', b, () => parseTlvAll(b));
  if (all) checkSequence(b, all, true);
  const some = attempt('parseTlvAll', b, () => parseTlvAll(b, { strict: false, maxDepth: 8 }));
  if (some) checkSequence(b, some, false);
  attempt('parseTlvAll', b, () => parseTlvAll(b, { padding: true, children: 'try' }));

  for (const block of [16, 8]) {
    const u = attempt('unpad80', b, () => unpad80(b, block));
    if (u && !bytesEqual(pad80(u, block), b)) fail('unpad80', b, `pad80 ∘ unpad80 ≠ id (${block})`);
  }
}

test(`fuzz: ${ITERATIONS} random and mutated byte strings into every parser`, (t) => {
  t.diagnostic(`seed ${SEED} (replay with MYNA_FUZZ_SEED=${SEED})`);
  // Stack traces of the expected ApduErrors are the bulk of the cost and say nothing.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const counts = { command: 0, tlv: 0, unpad: 0 };
  try {
    const seeds = corpus();
    for (let i = 0; i < ITERATIONS; i++) {
      const roll = rand();
      const b =
        roll < 0.3
          ? randomBytes(int(rand() < 0.9 ? 24 : 300))
          : roll < 0.4
            ? randomTlv(4)
            : mutate(pick(seeds));
      checkOne(b);
      if (i % 1000 === 0) {
        // keep a tally so the run is known to reach the valid side of each parser
        if (attempt('parseCommand', b, () => parseCommand(b))) counts.command++;
        if (attempt('parseTlvAll', b, () => parseTlvAll(b))) counts.tlv++;
        if (attempt('unpad80', b, () => unpad80(b))) counts.unpad++;
      }
    }
  } finally {
    Error.stackTraceLimit = limit;
  }
  t.diagnostic(`valid among sampled inputs: ${JSON.stringify(counts)}`);
  assert.ok(counts.command > 0 && counts.tlv > 0, 'the fuzz never produced valid input');
});

test(`fuzz: exchange() against ${ITERATIONS / 10} cards answering random bytes`, async () => {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const cmds = [
      command({ ins: 0xb0, ne: 256 }),
      command({ ins: 0xd6, data: randomBytes(600), ne: 2 }),
      command({ cla: 0x80, ins: 0x2a, p2: 0x80, data: randomBytes(51), ne: 256 }),
    ];
    for (let i = 0; i < ITERATIONS / 10; i++) {
      // a card that answers 61/6C/90/anything, sometimes nothing at all
      const card = () => {
        const roll = rand();
        const sw = roll < 0.3 ? 0x6100 | int(256) : roll < 0.45 ? 0x6c00 | int(256) : int(65536);
        return rand() < 0.05
          ? randomBytes(int(2))
          : concat(randomBytes(int(8)), Uint8Array.of(sw >> 8, sw & 0xff));
      };
      const cmd = pick(cmds);
      try {
        const r = await exchange(card, cmd, { maxCommandData: 255, maxGetResponses: 8 });
        if (!Number.isInteger(r.sw) || r.sw < 0 || r.sw > 0xffff) {
          fail('exchange', encodeCommand(cmd), `status word ${r.sw}`);
        }
      } catch (e) {
        if (!(e instanceof ApduError)) fail('exchange', encodeCommand(cmd), `threw ${String(e)}`);
      }
    }
  } finally {
    Error.stackTraceLimit = limit;
  }
});

test('fuzz harness catches a non-ApduError (the check can fail)', () => {
  assert.throws(
    () =>
      attempt('probe', new Uint8Array(0), () => {
        throw new TypeError('boom');
      }),
    FuzzFailure,
  );
  assert.equal(
    attempt('probe', new Uint8Array(0), () => {
      throw new ApduError('TLV_EMPTY', 'fine');
    }),
    undefined,
  );
});
