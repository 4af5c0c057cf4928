/**
 * How host code reaches a card: one interface for the emulator in the same
 * process, a card in a PC/SC reader (real or virtual), or anything else that
 * carries APDUs. Host code (access, loader, terminal) is written against this.
 */

/** `present`: a card was put in (or is there when watching starts). `removed`: it was taken out. */
export type CardEventName = 'present' | 'removed';

export interface CardChannel {
  /** Answer to reset of the card now in the channel. */
  readonly atr: Uint8Array;
  /**
   * Largest response data (Ne) one command may ask for through this channel:
   * 256 for short APDUs only, up to 65536 when extended length works end to end.
   */
  readonly maxResponseLength: number;
  /**
   * Sends one command APDU and resolves with the response APDU (data + SW1 SW2).
   * Calls are carried out one at a time, in call order. Rejects with a
   * `TransportError` (`CARD_REMOVED`, `CHANNEL_CLOSED`, …), never for a status word.
   */
  transmit(apdu: Uint8Array): Promise<Uint8Array>;
  /** Warm reset: the card forgets its selection and verified PINs. */
  reset(): Promise<void>;
  /** Releases the card; further transmits reject with `CHANNEL_CLOSED`. Idempotent. */
  close(): Promise<void>;
  /** Subscribes to card presence changes; returns the unsubscribe function. */
  on(event: CardEventName, listener: () => void): () => void;
}

/** Listener bookkeeping shared by the channel implementations. */
export class CardEvents {
  #listeners: Record<CardEventName, Set<() => void>> = { present: new Set(), removed: new Set() };

  on(event: CardEventName, listener: () => void): () => void {
    this.#listeners[event].add(listener);
    return () => this.#listeners[event].delete(listener);
  }

  count(): number {
    return this.#listeners.present.size + this.#listeners.removed.size;
  }

  emit(event: CardEventName): void {
    // A copy, so a listener may unsubscribe itself while being called.
    for (const l of [...this.#listeners[event]]) l();
  }
}

/**
 * Runs async jobs strictly one after another: a multi-APDU exchange from one
 * caller is never interleaved with another caller's APDU on the same channel.
 */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const next = this.#tail.then(job, job);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}
