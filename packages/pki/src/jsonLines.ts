/** Append-only JSON Lines files (issued.jsonl, revocations.jsonl, cards.jsonl) read a tail at a time. */
import { statSync } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * An append-only JSON Lines file read incrementally: each `readNew` hands over
 * the complete lines added since the last one, so picking up one new revocation
 * costs one line, not the whole national list. A shorter file than before
 * (rewritten) is read again from the start.
 */
const CHUNK = 8 << 20;
export class JsonLinesTail {
  readonly #file: string;
  readonly #onLine: (buf: Buffer, start: number, end: number) => void;
  #offset = 0;

  readonly #onSize: ((bytes: number) => void) | undefined;

  constructor(
    file: string,
    onLine: (buf: Buffer, start: number, end: number) => void,
    onSize?: (bytes: number) => void,
  ) {
    this.#file = file;
    this.#onLine = onLine;
    this.#onSize = onSize;
  }

  /** Whether the file grew or shrank since the last read (one stat, synchronous: ~µs). */
  changed(): boolean {
    return (statSync(this.#file, { throwIfNoEntry: false })?.size ?? 0) !== this.#offset;
  }

  async readNew(): Promise<void> {
    let fh;
    try {
      fh = await open(this.#file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    try {
      const { size } = await fh.stat();
      if (size < this.#offset) this.#offset = 0;
      if (size === this.#offset) return;
      this.#onSize?.(size - this.#offset);
      // In chunks: a national list is hundreds of megabytes, its lines ~130 bytes.
      const buf = Buffer.allocUnsafe(Math.min(size - this.#offset, CHUNK));
      let kept = 0; // bytes of an unfinished line carried to the next chunk
      while (this.#offset + kept < size) {
        const want = Math.min(buf.length - kept, size - this.#offset - kept);
        const { bytesRead } = await fh.read(buf, kept, want, this.#offset + kept);
        if (bytesRead === 0) break;
        const got = kept + bytesRead;
        const end = buf.lastIndexOf(0x0a, got - 1) + 1; // a line being written stays for next time
        if (end === 0) {
          if (got === buf.length) throw new Error(`a line longer than ${CHUNK} bytes`);
          break;
        }
        for (let a = 0; a < end;) {
          const b = buf.indexOf(0x0a, a);
          if (b > a && !(b === a + 1 && buf[a] === 0x0d)) this.#onLine(buf, a, b);
          a = b + 1;
        }
        this.#offset += end;
        buf.copy(buf, 0, end, got);
        kept = got - end;
      }
    } finally {
      await fh.close();
    }
  }
}
