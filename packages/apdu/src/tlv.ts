/**
 * BER-TLV data objects (ISO/IEC 7816-4 clause 6.3, tag rules of ITU-T X.690 8.1.2).
 *
 * A tag is kept as its raw bytes read as one big-endian number — `0x6F`, `0x5F24`,
 * `0xDF21` — the way ISO 7816 and EMV write tags. That matters for the My Number Card,
 * whose 券面事項入力補助AP writes private-class tags in the high-tag form even for
 * numbers below 31 (`FF 10`, CARD.md), which X.690 calls non-minimal: we accept them
 * and encode them back byte for byte, because the tag number alone would lose the form.
 *
 * Lengths: short form (`00`..`7F`) and long forms `81`..`84`. Non-minimal long forms
 * (`81 05`) are accepted on parse (old cards write them) and never produced on
 * encode. Indefinite length (`80`) is refused: ISO 7816-4 has no end-of-contents.
 */
import { ApduError, concat, concatAll, toHex } from './bytes.ts';

/** Raw tag bytes as a big-endian number: 1 to 4 bytes (`0x4F`, `0x5F24`, `0xDF21`). */
export type TlvTag = number;

/** One parsed BER-TLV data object. */
export interface TlvNode {
  readonly tag: TlvTag;
  /** Bit 6 of the first tag byte: the value is itself a sequence of data objects. */
  readonly constructed: boolean;
  /** The value field: a view into the parsed input (copy it before mutating). */
  readonly value: Uint8Array;
  /** The data objects inside a constructed value, parsed strictly. */
  readonly children?: readonly TlvNode[];
  /** Offset of the tag's first byte in the input given to the parser. */
  readonly offset: number;
  /** Bytes of the tag and length fields (the value starts at `offset + headerLength`). */
  readonly headerLength: number;
  /** Offset just past the value: `offset + headerLength + value.length`. */
  readonly end: number;
}

export interface TlvParseOptions {
  /**
   * `true` (default): bytes after the last data object are `TLV_TRAILING_BYTES`.
   * `false`: they are ignored (a READ BINARY of a whole EF often returns fill bytes
   * after the object); `parseTlvAll` then stops at the first object that does not
   * parse. Constructed values are always parsed strictly.
   */
  readonly strict?: boolean;
  /**
   * Deepest nesting accepted: the most ancestors a data object may have (default 32).
   * Deeper is `TLV_TOO_DEEP`, in every mode, so a nesting bomb is always reported.
   */
  readonly maxDepth?: number;
  /**
   * How the values of constructed tags are read. `'strict'` (default): they must be a
   * sequence of data objects, else the error. `'try'`: when they are not, the node
   * keeps its value and has no `children` (for dumps of unknown data).
   */
  readonly children?: 'strict' | 'try';
  /**
   * Tags whose constructed bit is set but whose value is not data objects: kept
   * opaque. The My Number Card's EF 0001 is `FF 10 0C` + 12 ASCII digits
   * (`MYNA_OPAQUE_TAGS`).
   */
  readonly opaque?: readonly TlvTag[];
  /**
   * ISO 7816-4 6.3: `00` bytes before, between and after data objects are padding.
   * Off by default (X.690 reads `00` as a tag). `FF` is never padding here: the My
   * Number Card uses `FF` as a tag byte (`FF 20`).
   */
  readonly padding?: boolean;
}

export const TLV_DEFAULT_MAX_DEPTH = 32;
/**
 * Constructed-bit tags of the 券面事項入力補助AP that hold plain bytes: `FF 10` (My
 * Number, 12 ASCII digits). Pass as `{ opaque: MYNA_OPAQUE_TAGS }`.
 */
export const MYNA_OPAQUE_TAGS: readonly TlvTag[] = [0xff10];
/** Longest tag field accepted: 4 bytes keeps a tag a safe 32-bit number. */
export const TLV_MAX_TAG_BYTES = 4;

function hexAt(b: Uint8Array, at: number): string {
  return toHex(b.subarray(at, at + 1)).toUpperCase();
}

/** Reads a tag and a length at `at`; `end` bounds what may be read. */
function readHeader(b: Uint8Array, at: number, end: number, headerOnly = false): TlvHeader {
  let p = at;
  const first = b[p++]!;
  let tag = first;
  if ((first & 0x1f) === 0x1f) {
    // High-tag form: subsequent bytes carry 7 bits each, bit 8 set on all but the last.
    let n = 0;
    for (;;) {
      if (p >= end) throw new ApduError('TLV_TRUNCATED', `tag truncated at offset ${at}`);
      const x = b[p++]!;
      if (n === 0 && x === 0x80) {
        throw new ApduError(
          'TLV_BAD_TAG',
          `tag at offset ${at}: subsequent byte 80 is not allowed`,
        );
      }
      tag = tag * 256 + x;
      n++;
      if (n + 1 > TLV_MAX_TAG_BYTES) {
        throw new ApduError(
          'TLV_BAD_TAG',
          `tag at offset ${at} is longer than ${TLV_MAX_TAG_BYTES} bytes`,
        );
      }
      if ((x & 0x80) === 0) break;
    }
  }
  if (p >= end) throw new ApduError('TLV_TRUNCATED', `length missing at offset ${p}`);
  const l0 = b[p++]!;
  let length: number;
  if (l0 < 0x80) length = l0;
  else if (l0 === 0x80) {
    throw new ApduError('TLV_INDEFINITE_LENGTH', `indefinite length (80) at offset ${p - 1}`);
  } else if (l0 <= 0x84) {
    const k = l0 - 0x80;
    if (p + k > end) throw new ApduError('TLV_TRUNCATED', `length field truncated at offset ${p}`);
    length = 0;
    for (let i = 0; i < k; i++) length = length * 256 + b[p++]!;
  } else {
    throw new ApduError('TLV_BAD_LENGTH', `length byte ${hexAt(b, p - 1)} at offset ${p - 1}`);
  }
  if (!headerOnly && length > end - p) {
    throw new ApduError(
      'TLV_TRUNCATED',
      `value of ${length} bytes at offset ${p} but only ${end - p} remain`,
    );
  }
  return { tag, constructed: (first & 0x20) !== 0, headerLength: p - at, length };
}

/** The tag and length fields of a data object, without its value. */
export interface TlvHeader {
  readonly tag: TlvTag;
  readonly constructed: boolean;
  /** Bytes of the tag and length fields. */
  readonly headerLength: number;
  /** Bytes of the value that follow the header. */
  readonly length: number;
}

/**
 * Reads the header of the data object at `offset` when only its first bytes are at
 * hand (readers READ BINARY a few bytes, then exactly the rest: `30 82 LL LL` of a
 * certificate, `FF 20 L` of EF 0002). `undefined` while more bytes are needed;
 * `ApduError` (`TLV_BAD_TAG`, `TLV_BAD_LENGTH`, `TLV_INDEFINITE_LENGTH`) when the
 * bytes present are already wrong. The value itself may lie beyond `bytes`.
 */
export function peekTlvHeader(bytes: Uint8Array, offset = 0): TlvHeader | undefined {
  if (!Number.isInteger(offset) || offset < 0) {
    throw new ApduError('TLV_BAD_OPTION', `offset must be a natural number, got ${offset}`);
  }
  // Stryker disable next-line ConditionalExpression,EqualityOperator: readHeader past the end is TLV_TRUNCATED, which is undefined too
  if (offset >= bytes.length) return undefined;
  try {
    // Read against an unbounded end so only missing header bytes count as "too short".
    return readHeader(bytes, offset, bytes.length, true);
  } catch (e) {
    if (e instanceof ApduError && e.code === 'TLV_TRUNCATED') return undefined;
    throw e;
  }
}

interface Ctx {
  readonly maxDepth: number;
  readonly padding: boolean;
  readonly tryChildren: boolean;
  readonly opaque: readonly TlvTag[];
}

/**
 * A parsed node. The value is a getter over the input rather than a stored view: a
 * million-entry CRL-sized tree then holds ~40 % less heap (packages/apdu/bench).
 */
class Node implements TlvNode {
  readonly #src: Uint8Array;
  readonly tag: TlvTag;
  readonly constructed: boolean;
  readonly offset: number;
  readonly headerLength: number;
  readonly end: number;
  readonly children: readonly TlvNode[] | undefined;

  constructor(
    src: Uint8Array,
    h: TlvHeader,
    offset: number,
    children: readonly TlvNode[] | undefined,
  ) {
    this.#src = src;
    this.tag = h.tag;
    this.constructed = h.constructed;
    this.offset = offset;
    this.headerLength = h.headerLength;
    this.end = offset + h.headerLength + h.length;
    this.children = children;
  }

  get value(): Uint8Array {
    return this.#src.subarray(this.offset + this.headerLength, this.end);
  }

  /** `{ tag: 'DF21', value: '0010…' }` or `{ tag, children }` for JSON dumps. */
  toJSON(): object {
    return this.children
      ? { tag: tagHex(this.tag), children: this.children }
      : { tag: tagHex(this.tag), value: toHex(this.value).toUpperCase() };
  }
}

function parseOne(b: Uint8Array, at: number, end: number, depth: number, ctx: Ctx): TlvNode {
  const h = readHeader(b, at, end);
  if (!h.constructed || ctx.opaque.includes(h.tag)) return new Node(b, h, at, undefined);
  if (depth + 1 > ctx.maxDepth && h.length > 0) {
    throw new ApduError('TLV_TOO_DEEP', `data objects nested deeper than ${ctx.maxDepth}`);
  }
  const start = at + h.headerLength;
  let children: TlvNode[];
  try {
    children = parseSeq(b, start, start + h.length, depth + 1, ctx, true);
  } catch (e) {
    if (ctx.tryChildren && e instanceof ApduError && e.code !== 'TLV_TOO_DEEP') {
      return new Node(b, h, at, undefined);
    }
    throw e;
  }
  return new Node(b, h, at, children);
}

function skipPadding(b: Uint8Array, p: number, end: number, ctx: Ctx): number {
  if (!ctx.padding) return p;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: a position past end only ends the caller's loop, as end does
  while (p < end && b[p] === 0) p++;
  return p;
}

function parseSeq(
  b: Uint8Array,
  from: number,
  end: number,
  depth: number,
  ctx: Ctx,
  strict: boolean,
): TlvNode[] {
  const out: TlvNode[] = [];
  let p = skipPadding(b, from, end, ctx);
  while (p < end) {
    let node: TlvNode;
    try {
      node = parseOne(b, p, end, depth, ctx);
    } catch (e) {
      // Lenient: what follows the last good object is garbage, not an error.
      if (!strict && e instanceof ApduError && e.code !== 'TLV_TOO_DEEP') return out;
      throw e;
    }
    out.push(node);
    p = skipPadding(b, node.end, end, ctx);
  }
  return out;
}

function ctxOf(opts: TlvParseOptions): Ctx {
  const maxDepth = opts.maxDepth ?? TLV_DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 1) {
    throw new ApduError('TLV_BAD_OPTION', `maxDepth must be a positive integer, got ${maxDepth}`);
  }
  return {
    maxDepth,
    padding: opts.padding === true,
    tryChildren: opts.children === 'try',
    // Stryker disable next-line ArrayDeclaration: a list holding a string matches no numeric tag, as the empty one
    opaque: opts.opaque ?? [],
  };
}

/**
 * Parses one data object at the start of `bytes`. Strict (default): it must fill
 * `bytes` exactly. Errors: `TLV_EMPTY`, `TLV_TRUNCATED`, `TLV_BAD_TAG`,
 * `TLV_BAD_LENGTH`, `TLV_INDEFINITE_LENGTH`, `TLV_TOO_DEEP`, `TLV_TRAILING_BYTES`.
 */
export function parseTlv(bytes: Uint8Array, opts: TlvParseOptions = {}): TlvNode {
  const ctx = ctxOf(opts);
  const start = skipPadding(bytes, 0, bytes.length, ctx);
  if (start >= bytes.length) throw new ApduError('TLV_EMPTY', 'no data object in the input');
  const node = parseOne(bytes, start, bytes.length, 0, ctx);
  if (opts.strict !== false) {
    const after = skipPadding(bytes, node.end, bytes.length, ctx);
    if (after !== bytes.length) {
      throw new ApduError(
        'TLV_TRAILING_BYTES',
        `${bytes.length - node.end} bytes after the data object at offset ${node.end}`,
      );
    }
  }
  return node;
}

/**
 * Parses a sequence of data objects filling `bytes` (an empty input is an empty
 * list). Lenient (`strict: false`): stops before the first object that does not parse.
 */
export function parseTlvAll(bytes: Uint8Array, opts: TlvParseOptions = {}): TlvNode[] {
  return parseSeq(bytes, 0, bytes.length, 0, ctxOf(opts), opts.strict !== false);
}

// ---------------------------------------------------------------------------
// Tags

/**
 * The raw bytes of a tag number, checked: the first byte's low 5 bits are `1F` iff
 * subsequent bytes follow; every subsequent byte but the last has bit 8 set; the
 * first subsequent byte is not `80`. `TLV_BAD_TAG` otherwise.
 */
export function tagBytes(tag: TlvTag): Uint8Array {
  if (
    !Number.isInteger(tag) ||
    tag < 0 ||
    // Stryker disable next-line EqualityOperator: FFFFFFFF is refused anyway (its last byte has bit 8 set)
    tag > 0xffffffff
  ) {
    throw new ApduError('TLV_BAD_TAG', `tag ${tag} is not 1 to 4 bytes`);
  }
  const bytes: number[] = [];
  let t = tag;
  do {
    bytes.unshift(t % 256);
    t = Math.floor(t / 256);
  } while (t > 0);
  const bad = (why: string) => new ApduError('TLV_BAD_TAG', `tag ${tagHex(tag)}: ${why}`);
  const first = bytes[0]!;
  if (bytes.length === 1) {
    if ((first & 0x1f) === 0x1f) throw bad('high-tag form with no subsequent byte');
  } else {
    if ((first & 0x1f) !== 0x1f) throw bad('subsequent bytes after a low-tag first byte');
    if (bytes[1] === 0x80) throw bad('first subsequent byte 80');
    // Stryker disable next-line EqualityOperator: bytes[length] is undefined, which reads as a last byte
    for (let i = 1; i < bytes.length; i++) {
      const more = (bytes[i]! & 0x80) !== 0;
      if (more !== i < bytes.length - 1) throw bad('bit 8 of the subsequent bytes is wrong');
    }
  }
  return Uint8Array.from(bytes);
}

/** `DF21`, `5F24`, `6F`: a tag as upper-case hex of its raw bytes. */
export function tagHex(tag: TlvTag): string {
  const h = tag.toString(16).toUpperCase();
  return h.length % 2 === 0 ? h : `0${h}`;
}

/** The tag class from bits 8-7 of the first tag byte. */
export type TagClass = 'universal' | 'application' | 'context' | 'private';

function firstTagByte(tag: TlvTag): number {
  let t = tag;
  while (t > 0xff) t = Math.floor(t / 256);
  return t;
}

export function tagClassOf(tag: TlvTag): TagClass {
  return (['universal', 'application', 'context', 'private'] as const)[firstTagByte(tag) >> 6]!;
}

export function isConstructedTag(tag: TlvTag): boolean {
  return (firstTagByte(tag) & 0x20) !== 0;
}

/** The X.690 tag number (`DF21` → 33, `FF10` → 16, `5F24` → 36, `6F` → 15). */
export function tagNumberOf(tag: TlvTag): number {
  const b = tagBytes(tag);
  if (b.length === 1) return b[0]! & 0x1f;
  let n = 0;
  for (let i = 1; i < b.length; i++) n = n * 128 + (b[i]! & 0x7f);
  return n;
}

// ---------------------------------------------------------------------------
// Encoding

/** The length field in its minimal form (short up to 127, then 81/82/83/84). */
export function encodeTlvLength(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new ApduError('TLV_BAD_LENGTH', `length ${n} cannot be encoded`);
  }
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let t = n; t > 0; t = Math.floor(t / 256)) bytes.unshift(t % 256);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

/**
 * One data object: tag bytes as given (`0xDF21` → `DF 21`), minimal length, value
 * (the parts given, joined). The one BER-TLV encoder of the project: the card's
 * layouts, its FCIs and the GlobalPlatform objects all use it.
 */
export function encodeTlv(tag: TlvTag, ...value: Uint8Array[]): Uint8Array {
  // Stryker disable next-line ConditionalExpression: concatAll of one part is the same bytes (this saves a copy)
  const v = value.length === 1 ? value[0]! : concatAll(value);
  return concat(tagBytes(tag), encodeTlvLength(v.length), v);
}

/** A data object to encode: a value, or children for a constructed tag. */
export interface TlvInput {
  readonly tag: TlvTag;
  readonly value?: Uint8Array;
  readonly children?: readonly (TlvInput | Uint8Array)[];
}

/** Encodes a tree: children when present (re-encoded), else the value. */
export function encodeTlvNode(node: TlvInput): Uint8Array {
  if (node.children !== undefined) return encodeTlvConstructed(node.tag, node.children);
  return encodeTlv(node.tag, node.value ?? new Uint8Array(0));
}

/**
 * A constructed data object whose value is its children in order; each child is
 * already-encoded bytes or a `TlvInput`. The tag must have the constructed bit.
 */
export function encodeTlvConstructed(
  tag: TlvTag,
  children: readonly (TlvInput | Uint8Array)[],
): Uint8Array {
  tagBytes(tag); // validates the tag before looking at its bits
  if (!isConstructedTag(tag)) {
    throw new ApduError('TLV_BAD_TAG', `tag ${tagHex(tag)} is primitive, not constructed`);
  }
  const parts = children.map((c) => (c instanceof Uint8Array ? c : encodeTlvNode(c)));
  return encodeTlv(tag, concatAll(parts));
}

// ---------------------------------------------------------------------------
// Search and display

function* walk(nodes: readonly TlvNode[]): Generator<TlvNode> {
  for (const n of nodes) {
    yield n;
    if (n.children) yield* walk(n.children);
  }
}

/** The first data object with `tag`, depth first in document order, or `undefined`. */
export function findTag(root: TlvNode | readonly TlvNode[], tag: TlvTag): TlvNode | undefined {
  for (const n of walk(Array.isArray(root) ? root : [root as TlvNode])) if (n.tag === tag) return n;
  return undefined;
}

/** Every data object with `tag`, depth first in document order. */
export function findAllTags(root: TlvNode | readonly TlvNode[], tag: TlvTag): TlvNode[] {
  return [...walk(Array.isArray(root) ? root : [root as TlvNode])].filter((n) => n.tag === tag);
}

/**
 * The data object reached by a path of tags, each looked up among the previous one's
 * children: `findPath(nodes, [0xFF20, 0xDF22])` is the name in EF 0002.
 */
export function findPath(
  root: TlvNode | readonly TlvNode[],
  path: readonly TlvTag[],
): TlvNode | undefined {
  let level: readonly TlvNode[] = Array.isArray(root) ? root : [root as TlvNode];
  let found: TlvNode | undefined;
  for (const tag of path) {
    found = level.find((n) => n.tag === tag);
    if (!found) return undefined;
    // Stryker disable next-line ArrayDeclaration: a string in the list matches no tag, as the empty list
    level = found.children ?? [];
  }
  return found;
}

/**
 * An indented dump for traces: `FF20 (42)` then `  DF22 (9) E5B1B1…`. Values longer
 * than `maxValue` bytes are cut. Use only on data that may be logged.
 */
export function formatTlv(nodes: TlvNode | readonly TlvNode[], maxValue = 32): string {
  const lines: string[] = [];
  const go = (list: readonly TlvNode[], indent: string) => {
    for (const n of list) {
      const head = `${indent}${tagHex(n.tag)} (${n.value.length})`;
      if (n.children) {
        lines.push(head);
        go(n.children, `${indent}  `);
      } else {
        const v = toHex(n.value.subarray(0, maxValue)).toUpperCase();
        lines.push(`${head} ${v}${n.value.length > maxValue ? '…' : ''}`);
      }
    }
  };
  go(Array.isArray(nodes) ? nodes : [nodes as TlvNode], '');
  return lines.join('\n');
}
