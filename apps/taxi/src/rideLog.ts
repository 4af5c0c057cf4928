/**
 * The in-car terminal's ride log: one signed record a line (JSON Lines), appended
 * and fsynced before the terminal answers, never rewritten. The terminal keeps no
 * "synced up to" mark of its own: the city says which seqs it holds, so a crash at
 * any point between storing and syncing leaves nothing unsent and nothing sent twice.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readFileSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { TaxiError } from './errors.ts';
import { recordFrom, type SignedRecord } from './ride.ts';

export class RideLog {
  readonly path: string;
  private records: SignedRecord[];

  private constructor(path: string, records: SignedRecord[]) {
    this.path = path;
    this.records = records;
  }

  /**
   * Opens (or starts) the log. A torn last line — the terminal lost power while
   * appending, before it answered the driver — is dropped; a damaged line before
   * the end is refused (RIDE_LOG_CORRUPT): that is not a crash, and must be looked at.
   */
  static open(path: string): RideLog {
    if (!existsSync(path)) return new RideLog(path, []);
    const text = readFileSync(path, 'utf8');
    const lines = text.split('\n');
    const records: SignedRecord[] = [];
    let torn = 0; // length of a torn last line
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i]!;
      if (l === '') continue;
      try {
        records.push(recordFrom(JSON.parse(l)));
      } catch {
        const last = i === lines.length - 1; // no newline after it: the append never finished
        if (!last) throw new TaxiError('RIDE_LOG_CORRUPT');
        torn = l.length;
      }
    }
    const log = new RideLog(path, records);
    if (torn > 0) {
      // Cut the torn tail (never acknowledged to anyone) so the next record starts a clean line.
      truncateSync(path, Buffer.byteLength(text) - Buffer.byteLength(lines.at(-1)!));
    }
    return log;
  }

  /** The next seq to use: one past the last one written. */
  get nextSeq(): number {
    return (this.records.at(-1)?.body.seq ?? 0) + 1;
  }

  all(): readonly SignedRecord[] {
    return this.records;
  }

  /** Records with seq > `after`, in seq order (what a sync sends). */
  after(after: number): SignedRecord[] {
    return this.records.filter((r) => r.body.seq > after);
  }

  /** Appends one record durably (write + fsync) before returning. */
  append(r: SignedRecord): void {
    if (r.body.seq !== this.nextSeq)
      throw new Error(`ride log: seq ${r.body.seq} after ${this.nextSeq - 1}`);
    this.appendRaw(JSON.stringify(r) + '\n');
    this.records.push(r);
  }

  private appendRaw(s: string): void {
    const fd = openSync(this.path, 'a', 0o600);
    try {
      writeSync(fd, s);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
