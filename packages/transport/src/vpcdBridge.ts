/**
 * Puts an emulated card into a `vpcd` virtual reader: a TCP client that
 * connects to vpcd (inside pcscd) and answers its messages with the card. While
 * connected, PC/SC programs (OpenSC, browsers, our PcscChannel) see the card in
 * reader `Virtual PCD 00 0N`; closing the connection takes the card out.
 */
import { connect, type Socket } from 'node:net';
import { TransportError } from './errors.ts';
import { powerDown, type EmulatedCard } from './inProcess.ts';
import { FrameReader, VPCD_PORT, classifyVpcdPayload, frame } from './vpcdProtocol.ts';

const WRONG_LENGTH = Uint8Array.of(0x67, 0x00);

export type VpcdBridgeState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface VpcdBridgeOptions {
  host?: string;
  /** Virtual reader number N (`Virtual PCD 00 0N`); port = 35963 + N. Default 0. */
  reader?: number;
  /** Explicit TCP port (overrides `reader`). */
  port?: number;
  /** Delay before reconnecting after vpcd went away (doubles up to 2 s). Default 100 ms. */
  reconnectDelayMs?: number;
  /** Called on every state change (e.g. to tell the user vpcd restarted). */
  onState?: (state: VpcdBridgeState) => void;
  /** Called after each APDU (traces, APDU counts in benchmarks). */
  onApdu?: (command: Uint8Array, response: Uint8Array) => void;
}

export class VpcdBridge {
  readonly host: string;
  readonly port: number;
  #card: EmulatedCard;
  #opts: VpcdBridgeOptions;
  #socket: Socket | undefined;
  #state: VpcdBridgeState = 'disconnected';
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #delay: number;
  #waiters: Array<() => void> = [];
  #apdus = 0;

  constructor(card: EmulatedCard, options: VpcdBridgeOptions = {}) {
    this.#card = card;
    this.#opts = options;
    this.host = options.host ?? '127.0.0.1';
    this.port = options.port ?? VPCD_PORT + (options.reader ?? 0);
    this.#delay = options.reconnectDelayMs ?? 100;
  }

  get state(): VpcdBridgeState {
    return this.#state;
  }

  /** Command APDUs answered so far. */
  get apduCount(): number {
    return this.#apdus;
  }

  /**
   * Starts connecting (and reconnecting whenever vpcd goes away) and resolves
   * once connected. Rejects with `VPCD_UNREACHABLE` if that takes longer than
   * `timeoutMs` (the bridge then stops).
   */
  async start(timeoutMs = 5000): Promise<void> {
    if (this.#stopped) throw new Error('VpcdBridge: start after stop');
    if (this.#state === 'disconnected') this.#connect();
    if (this.#state === 'connected') return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        this.stop();
        reject(
          new TransportError('VPCD_UNREACHABLE', {
            en: `cannot reach vpcd at ${this.host}:${this.port}: is pcscd running with vsmartcard-vpcd installed?`,
            ja: `vpcd (${this.host}:${this.port}) に接続できません: pcscd が起動し vsmartcard-vpcd が入っているか確認してください`,
          }),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        resolve();
      };
      this.#waiters.push(done);
    });
  }

  /** Takes the card out of the reader for good. Idempotent. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#socket?.destroy();
    this.#socket = undefined;
    this.#setState('stopped');
  }

  #setState(s: VpcdBridgeState): void {
    if (this.#state === s) return;
    this.#state = s;
    this.#opts.onState?.(s);
    if (s === 'connected') for (const w of this.#waiters.splice(0)) w();
  }

  #connect(): void {
    if (this.#stopped) return;
    this.#setState('connecting');
    const socket = connect({ host: this.host, port: this.port, noDelay: true });
    this.#socket = socket;
    const reader = new FrameReader();
    socket.on('connect', () => {
      // One segment per response (see reply()); never wait for more data to coalesce.
      socket.setNoDelay(true);
      this.#delay = this.#opts.reconnectDelayMs ?? 100;
      this.#setState('connected');
    });
    socket.on('data', (chunk: Buffer) => {
      for (const msg of reader.push(chunk)) this.#handle(socket, msg);
    });
    socket.on('error', () => {
      /* 'close' follows; reconnect there */
    });
    socket.on('close', () => {
      if (this.#socket === socket) this.#socket = undefined;
      // The card left the field: it loses power and its volatile state.
      powerDown(this.#card);
      if (this.#stopped) return;
      // Only a lost connection is news; failed attempts while connecting stay 'connecting'.
      if (this.#state === 'connected') this.#setState('disconnected');
      this.#timer = setTimeout(() => this.#connect(), this.#delay);
      this.#delay = Math.min(this.#delay * 2, 2000);
    });
  }

  #handle(socket: Socket, payload: Uint8Array): void {
    const msg = classifyVpcdPayload(payload);
    switch (msg.kind) {
      case 'powerOff':
        powerDown(this.#card);
        return;
      case 'powerOn':
        return;
      case 'reset':
        this.#card.reset();
        return;
      case 'getAtr':
        socket.write(frame(this.#card.atr));
        return;
      case 'unknownControl':
        return; // vpcd expects no answer to control codes
      case 'apdu': {
        let res = this.#card.transmit(msg.apdu);
        this.#apdus++;
        // vpcd's 16-bit length cannot carry 65536 data bytes + SW: ask for a smaller Le.
        if (res.length > 0xffff) res = WRONG_LENGTH;
        // Length and payload in one write, so they leave in one TCP segment.
        socket.write(frame(res));
        this.#opts.onApdu?.(msg.apdu, res);
        return;
      }
    }
  }
}
