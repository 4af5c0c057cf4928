/**
 * The slice of the `smartcard` N-API binding we use, loaded lazily: the binding
 * is an optional dependency (it needs libpcsclite-dev to build), so nothing
 * touches it until a PC/SC channel or reader list is actually asked for.
 */
import { bindingMissing } from './errors.ts';

export interface PcscCardHandle {
  readonly atr: Buffer | null;
  transmit(command: Buffer, options?: { maxRecvLength?: number }): Promise<Buffer>;
  disconnect(disposition?: number): void;
  reconnect(shareMode?: number, protocol?: number, initialization?: number): Promise<number>;
}

export interface PcscReaderHandle {
  readonly name: string;
  readonly state: number;
  readonly atr: Buffer | null;
  connect(shareMode?: number, protocol?: number): Promise<PcscCardHandle>;
}

export interface PcscReaderState {
  readonly name: string;
  readonly state: number;
  readonly changed: boolean;
  readonly atr: Buffer | null;
}

export interface PcscContextHandle {
  readonly isValid: boolean;
  listReaders(): PcscReaderHandle[];
  waitForChange(
    readers: Array<{ name: string; state: number }>,
    timeout?: number,
  ): Promise<PcscReaderState[] | null>;
  cancel(): void;
  close(): void;
}

export interface PcscBinding {
  Context: new () => PcscContextHandle;
  SCARD_SHARE_EXCLUSIVE: number;
  SCARD_SHARE_SHARED: number;
  SCARD_PROTOCOL_T0: number;
  SCARD_PROTOCOL_T1: number;
  SCARD_LEAVE_CARD: number;
  SCARD_RESET_CARD: number;
  SCARD_STATE_CHANGED: number;
  SCARD_STATE_PRESENT: number;
  SCARD_STATE_EMPTY: number;
  SCARD_STATE_EXCLUSIVE: number;
  SCARD_STATE_INUSE: number;
  SCARD_STATE_MUTE: number;
}

let loaded: Promise<PcscBinding> | undefined;

/** Loads `smartcard` once; rejects with `PCSC_BINDING_MISSING` when it is not installed or not built. */
export function loadPcscBinding(): Promise<PcscBinding> {
  loaded ??= (async () => {
    try {
      // A variable specifier keeps type-checking independent of the optional package.
      const name = 'smartcard';
      const m = (await import(name)) as { default?: PcscBinding } & Partial<PcscBinding>;
      const b = (m.default ?? m) as PcscBinding;
      if (typeof b.Context !== 'function') throw new Error('smartcard: no Context export');
      return b;
    } catch (e) {
      loaded = undefined;
      throw bindingMissing(e);
    }
  })();
  return loaded;
}
