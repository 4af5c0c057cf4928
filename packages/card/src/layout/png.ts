/**
 * A minimal PNG writer for the card's small images (name, address and security
 * code images of the 券面事項確認AP): 8-bit grey-scale, one IDAT, no filter.
 * The emulator has no fonts, so text images are a pattern of the text's bytes
 * (see `textPatternPng`); digits use a 3×5 pixel font so a person can read them.
 */
import { deflateSync } from 'node:zlib';
import { concat } from '@myna-ap/apdu';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(parts: readonly Uint8Array[]): number {
  let c = 0xffffffff;
  for (const p of parts) for (const b of p) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function u32(n: number): Uint8Array {
  return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const t = new TextEncoder().encode(type);
  return concat(u32(data.length), t, data, u32(crc32([t, data])));
}

const SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** Encodes `pixels` (row-major, one grey byte per pixel) as a PNG file. */
export function encodeGreyPng(width: number, height: number, pixels: Uint8Array): Uint8Array {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`bad PNG size ${width}×${height}`);
  }
  if (pixels.length !== width * height) throw new RangeError('pixel count does not match size');
  const raw = new Uint8Array((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter type None
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  const ihdr = concat(u32(width), u32(height), Uint8Array.of(8, 0, 0, 0, 0));
  return concat(
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', new Uint8Array(deflateSync(raw, { level: 9 }))),
    chunk('IEND', new Uint8Array(0)),
  );
}

/**
 * A text as an image without a font: each UTF-8 byte becomes an 8-pixel-wide
 * column group, one dark square per set bit, on 2 rows of 8×4 px. Stands in for
 * the real card's rendered 氏名/住所 images; its bytes derive from the text.
 */
export function textPatternPng(text: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const cell = 2;
  const width = Math.max(1, bytes.length) * 8 * cell;
  const height = 8 * cell;
  const px = new Uint8Array(width * height).fill(255);
  bytes.forEach((b, i) => {
    for (let bit = 0; bit < 8; bit++) {
      if (((b >> (7 - bit)) & 1) === 0) continue;
      for (let dy = 0; dy < height / 2; dy++) {
        for (let dx = 0; dx < cell; dx++) {
          const x = (i * 8 + bit) * cell + dx;
          const y = (bit % 2 === 0 ? 0 : height / 2) + dy;
          px[y * width + x] = 0;
        }
      }
    }
  });
  return encodeGreyPng(width, height, px);
}

/** 3×5 pixel glyphs for 0-9, one row of 3 bits per entry, top to bottom. */
const DIGITS: readonly (readonly number[])[] = [
  [7, 5, 5, 5, 7],
  [2, 6, 2, 2, 7],
  [7, 1, 7, 4, 7],
  [7, 1, 7, 1, 7],
  [5, 5, 7, 1, 1],
  [7, 4, 7, 1, 7],
  [7, 4, 7, 5, 7],
  [7, 1, 1, 1, 1],
  [7, 5, 7, 5, 7],
  [7, 5, 7, 1, 7],
];

/** Digits drawn with the 3×5 font, scaled by 4, one glyph column of space between. */
export function digitsPng(digits: string): Uint8Array {
  if (!/^[0-9]+$/.test(digits)) throw new RangeError('digitsPng draws digits only');
  const scale = 4;
  const width = (digits.length * 4 + 1) * scale;
  const height = 7 * scale;
  const px = new Uint8Array(width * height).fill(255);
  [...digits].forEach((d, i) => {
    const glyph = DIGITS[Number(d)]!;
    glyph.forEach((row, gy) => {
      for (let gx = 0; gx < 3; gx++) {
        if (((row >> (2 - gx)) & 1) === 0) continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const x = (1 + i * 4 + gx) * scale + dx;
            const y = (1 + gy) * scale + dy;
            px[y * width + x] = 0;
          }
        }
      }
    });
  });
  return encodeGreyPng(width, height, px);
}
