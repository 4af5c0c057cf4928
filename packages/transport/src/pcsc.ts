/**
 * A card in a PC/SC reader (a real reader, or vpcd's virtual one) through the
 * `smartcard` binding: WinSCard on Windows, pcsc-lite on Linux and macOS.
 * Multi-APDU sessions hold the card in EXCLUSIVE mode: the binding has no
 * SCardBeginTransaction, and another program's SELECT between two of ours
 * would silently change what our next READ BINARY reads.
 */
import { CardEvents, SerialQueue, type CardChannel, type CardEventName } from './channel.ts';
import {
  TransportError,
  cardInUse,
  cardRemoved,
  channelClosed,
  noCard,
  pcscError,
  pcscNotRunning,
  readerNotFound,
} from './errors.ts';
import {
  loadPcscBinding,
  type PcscBinding,
  type PcscCardHandle,
  type PcscContextHandle,
} from './pcscBinding.ts';

/** One reader as `myna readers` shows it. */
export interface ReaderInfo {
  readonly index: number;
  readonly name: string;
  readonly present: boolean;
  /** Another program holds the card exclusively. */
  readonly exclusive: boolean;
  readonly atr: Uint8Array | undefined;
}

/** Maps a binding error (a bare message from pcsc_stringify) to a typed one. */
export function mapPcscError(e: unknown, reader: string, during: 'connect' | 'transmit'): Error {
  if (e instanceof TransportError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  if (/service (not running|stopped)/i.test(msg)) return pcscNotRunning(e);
  if (/sharing violation/i.test(msg)) return cardInUse(reader, e);
  if (/no smart card|card was removed|unpowered|unresponsive/i.test(msg))
    return during === 'connect' ? noCard(reader, e) : cardRemoved(e);
  if (/unknown reader|reader unavailable/i.test(msg))
    return during === 'connect' ? readerNotFound(reader, []) : cardRemoved(e);
  return pcscError(msg, e);
}

function openContext(b: PcscBinding): PcscContextHandle {
  try {
    return new b.Context();
  } catch (e) {
    throw mapPcscError(e, '', 'connect');
  }
}

function listWith(b: PcscBinding, ctx: PcscContextHandle): ReaderInfo[] {
  let readers;
  try {
    readers = ctx.listReaders();
  } catch (e) {
    if (/no readers/i.test(String((e as Error).message))) return [];
    throw mapPcscError(e, '', 'connect');
  }
  return readers.map((r, index) => ({
    index,
    name: r.name,
    present: (r.state & b.SCARD_STATE_PRESENT) !== 0 && (r.state & b.SCARD_STATE_MUTE) === 0,
    exclusive: (r.state & b.SCARD_STATE_EXCLUSIVE) !== 0,
    atr: r.atr && r.atr.length > 0 ? Uint8Array.from(r.atr) : undefined,
  }));
}

/** Every reader the PC/SC service knows, with card presence and ATR. */
export async function listReaders(): Promise<ReaderInfo[]> {
  const b = await loadPcscBinding();
  const ctx = openContext(b);
  try {
    return listWith(b, ctx);
  } finally {
    ctx.close();
  }
}

/**
 * Picks a reader: by index, by exact name, or by a unique part of its name;
 * with no choice, the first reader holding a card.
 */
export function chooseReader(readers: readonly ReaderInfo[], wanted?: string | number): ReaderInfo {
  const names = readers.map((r) => r.name);
  if (wanted === undefined) {
    const r = readers.find((x) => x.present);
    if (r) return r;
    if (readers.length === 0) throw readerNotFound('-', names);
    throw noCard(names.join(', '));
  }
  if (typeof wanted === 'number' || /^\d+$/.test(wanted)) {
    const r = readers[Number(wanted)];
    if (!r) throw readerNotFound(`#${wanted}`, names);
    return r;
  }
  const exact = readers.find((r) => r.name === wanted);
  if (exact) return exact;
  const partial = readers.filter((r) => r.name.toLowerCase().includes(wanted.toLowerCase()));
  if (partial.length === 1) return partial[0]!;
  throw readerNotFound(wanted, names);
}

export interface PcscOpenOptions {
  /** Reader index, name, or unique part of the name. Default: first reader with a card. */
  reader?: string | number;
  /** `exclusive` (default) for multi-APDU sessions; `shared` to coexist with other programs. */
  share?: 'exclusive' | 'shared';
  /**
   * Largest Ne per command. Default 256 (short APDUs), which every reader
   * carries; raise it for readers known to pass extended APDUs (vpcd does).
   */
  maxResponseLength?: number;
  /** How long to retry while another program holds the card. Default 2000 ms. */
  busyTimeoutMs?: number;
}

export class PcscChannel implements CardChannel {
  readonly reader: string;
  readonly atr: Uint8Array;
  readonly maxResponseLength: number;
  #b: PcscBinding;
  #ctx: PcscContextHandle;
  #card: PcscCardHandle;
  #queue = new SerialQueue();
  #events = new CardEvents();
  #closed = false;
  #watchCtx: PcscContextHandle | undefined;

  private constructor(
    b: PcscBinding,
    ctx: PcscContextHandle,
    card: PcscCardHandle,
    reader: string,
    maxResponseLength: number,
  ) {
    this.#b = b;
    this.#ctx = ctx;
    this.#card = card;
    this.reader = reader;
    this.atr = card.atr ? Uint8Array.from(card.atr) : new Uint8Array(0);
    this.maxResponseLength = maxResponseLength;
  }

  static async open(options: PcscOpenOptions = {}): Promise<PcscChannel> {
    const b = await loadPcscBinding();
    const ctx = openContext(b);
    try {
      const info = chooseReader(listWith(b, ctx), options.reader);
      if (!info.present) throw noCard(info.name);
      const handle = ctx.listReaders().find((r) => r.name === info.name);
      if (!handle) throw readerNotFound(info.name, []);
      const share = options.share === 'shared' ? b.SCARD_SHARE_SHARED : b.SCARD_SHARE_EXCLUSIVE;
      const deadline = Date.now() + (options.busyTimeoutMs ?? 2000);
      for (;;) {
        try {
          const card = await handle.connect(share, b.SCARD_PROTOCOL_T0 | b.SCARD_PROTOCOL_T1);
          return new PcscChannel(b, ctx, card, info.name, options.maxResponseLength ?? 256);
        } catch (e) {
          const err = mapPcscError(e, info.name, 'connect');
          if (!(err instanceof TransportError && err.code === 'CARD_IN_USE')) throw err;
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    } catch (e) {
      ctx.close();
      throw e;
    }
  }

  transmit(apdu: Uint8Array): Promise<Uint8Array> {
    return this.#queue.run(async () => {
      if (this.#closed) throw channelClosed();
      try {
        const res = await this.#card.transmit(Buffer.from(apdu), {
          maxRecvLength: this.maxResponseLength + 2,
        });
        return Uint8Array.from(res);
      } catch (e) {
        throw mapPcscError(e, this.reader, 'transmit');
      }
    });
  }

  reset(): Promise<void> {
    return this.#queue.run(async () => {
      if (this.#closed) throw channelClosed();
      try {
        await this.#card.reconnect(
          this.#b.SCARD_SHARE_EXCLUSIVE,
          this.#b.SCARD_PROTOCOL_T0 | this.#b.SCARD_PROTOCOL_T1,
          this.#b.SCARD_RESET_CARD,
        );
      } catch (e) {
        throw mapPcscError(e, this.reader, 'transmit');
      }
    });
  }

  close(): Promise<void> {
    return this.#queue.run(async () => {
      if (this.#closed) return;
      this.#closed = true;
      this.#stopWatching();
      try {
        this.#card.disconnect(this.#b.SCARD_LEAVE_CARD);
      } catch {
        /* already gone (card removed, pcscd stopped): nothing to release */
      }
      this.#ctx.close();
    });
  }

  on(event: CardEventName, listener: () => void): () => void {
    const off = this.#events.on(event, listener);
    if (!this.#watchCtx && !this.#closed) this.#watch();
    return () => {
      off();
      if (this.#events.count() === 0) this.#stopWatching();
    };
  }

  /** Watches the reader on its own context: a blocked SCardGetStatusChange would hold up transmits. */
  #watch(): void {
    const b = this.#b;
    const ctx = openContext(b);
    this.#watchCtx = ctx;
    let state = b.SCARD_STATE_PRESENT; // we connected, so a card was there
    const loop = async () => {
      while (this.#watchCtx === ctx) {
        let states;
        try {
          states = await ctx.waitForChange([{ name: this.reader, state }], 60_000);
        } catch {
          states = null;
        }
        if (this.#watchCtx !== ctx) return;
        if (states === null) {
          // Cancelled, or the reader/pcscd vanished: report the card as gone.
          this.#events.emit('removed');
          return;
        }
        const s = states[0];
        if (!s || !s.changed) continue;
        const was = (state & b.SCARD_STATE_PRESENT) !== 0;
        const now = (s.state & b.SCARD_STATE_PRESENT) !== 0;
        state = s.state & ~b.SCARD_STATE_CHANGED;
        if (was && !now) this.#events.emit('removed');
        if (!was && now) this.#events.emit('present');
      }
    };
    void loop();
  }

  #stopWatching(): void {
    const ctx = this.#watchCtx;
    if (!ctx) return;
    this.#watchCtx = undefined;
    try {
      ctx.cancel();
    } catch {
      /* context already invalid */
    }
    // Close after the pending wait has returned; closing under it is undefined in pcsc-lite.
    setTimeout(() => ctx.close(), 50).unref();
  }
}
