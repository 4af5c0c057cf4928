/**
 * The in-process channel: host code talks to an emulated card object directly,
 * with no reader stack in between (unit tests, the demo, benchmarks' baseline).
 */
import { CardEvents, type CardChannel, type CardEventName } from './channel.ts';
import { cardRemoved, channelClosed } from './errors.ts';

/** What a channel needs from an emulated card (`Card` from @myna-ap/card fits). */
export interface EmulatedCard {
  readonly atr: Uint8Array;
  /** One APDU in, one response out; never throws. */
  transmit(apdu: Uint8Array): Uint8Array;
  reset(): void;
  /** Power cycle; drops volatile state. Used when the card leaves the field. */
  powerOff?(): void;
}

/** The card leaves the field: a power cycle when the card models one, else a reset. */
export function powerDown(card: EmulatedCard): void {
  if (card.powerOff) card.powerOff();
  else card.reset();
}

export interface InProcessOptions {
  /** Largest Ne per command (default 65536: the emulator takes extended APDUs). */
  maxResponseLength?: number;
}

export class InProcessChannel implements CardChannel {
  readonly maxResponseLength: number;
  #card: EmulatedCard | undefined;
  #closed = false;
  #events = new CardEvents();

  constructor(card: EmulatedCard, options: InProcessOptions = {}) {
    this.#card = card;
    this.maxResponseLength = options.maxResponseLength ?? 65536;
  }

  get atr(): Uint8Array {
    return this.#card?.atr ?? new Uint8Array(0);
  }

  /** The card now in the channel, if any. */
  get card(): EmulatedCard | undefined {
    return this.#card;
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    if (this.#closed) throw channelClosed();
    if (!this.#card) throw cardRemoved();
    // A copy both ways: the caller may reuse its buffer, and must not alias the card's.
    return Uint8Array.from(this.#card.transmit(Uint8Array.from(apdu)));
  }

  async reset(): Promise<void> {
    if (this.#closed) throw channelClosed();
    if (!this.#card) throw cardRemoved();
    this.#card.reset();
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  on(event: CardEventName, listener: () => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Takes the card out of the field (it loses power); pending and later transmits fail. */
  remove(): void {
    const card = this.#card;
    if (!card) return;
    this.#card = undefined;
    powerDown(card);
    this.#events.emit('removed');
  }

  /** Puts a card (the same or another) into the field. */
  insert(card: EmulatedCard): void {
    if (this.#card) this.remove();
    this.#card = card;
    this.#events.emit('present');
  }
}
